"""An analyst uploads survey data, picks the ECSI template and reads the strategy matrix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

DATA = Path(__file__).resolve().parents[2] / "manyi" / "analytics" / "tests" / "data"


def test_upload_to_strategy_matrix(org, live_server, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.click("[data-nav='insight']")
    page.click("#new-analysis")
    page.set_input_files("input[name=file]", str(DATA / "ecsi_mobi.csv"))
    page.fill("input[name=name]", "手机用户调查")
    page.select_option("select[name=template]", "ecsi")
    # Choosing the template loads its text into the editor.
    expect(page.locator("#id_model_yaml")).to_have_value(re.compile("IMAG1"))
    page.fill("input[name=bootstrap]", "200")
    page.click("#run-analysis")
    page.wait_for_selector("#strategy-matrix svg")
    assert page.locator("#run-status").get_attribute("data-status") == "done"
    # Validity is shown before the index and the matrix.
    assert page.locator("#validity .flags li").count() >= 1
    drivers = page.locator("#strategy-matrix svg g.driver")
    assert drivers.count() == 4  # image, expectation, quality and value drive satisfaction
    assert "感知质量" in page.locator("#strategy-matrix").inner_text()
    ranking = page.locator("#ranking tbody tr")
    assert ranking.count() == 17
    assert ranking.first.locator("td").first.inner_text() == "1"
    with page.expect_download() as download:
        page.click("#download-xlsx")
    assert download.value.suggested_filename.endswith(".xlsx")
