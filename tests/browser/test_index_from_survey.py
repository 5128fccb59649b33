"""An analyst picks a questionnaire and two quarterly waves, maps the item the model names
differently, runs, reads the validity checks, the index with its change since the previous
wave and a readable item matrix, and downloads the Excel and PDF reports; the PDF's first
page, rasterised on a machine without fonts, shows the Chinese title."""

from __future__ import annotations

import shutil
from itertools import combinations
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from manyi.insight.tests.survey_data import MODEL, answered
from manyi.insight.tests.test_pdf_fonts import _page, _words

pytestmark = pytest.mark.django_db(transaction=True)


def _overlap(a: list[float], b: list[float]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def test_questionnaire_two_waves_to_the_board_reports(org, live_server, browser_page, tmp_path):
    answered(org, per_quarter=60)
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "analyst")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.click("[data-nav='insight']")
    page.click("#new-analysis")
    expect(page.locator("input[name=source][value=survey]")).to_be_checked()
    expect(page.locator("input[name=file]")).to_be_hidden()  # the upload part is put away
    page.select_option("select[name=questionnaire]", "branch_service")
    page.fill("input[name=since]", "2026-04-01")
    page.fill("input[name=until]", "2026-09-30")
    page.select_option("select[name=wave_by]", "quarter")
    page.click("#me-mode-yaml")  # the analyst pastes a model file
    page.fill("#id_model_yaml", MODEL)
    page.select_option("select[name=survey_group]", "wave")
    page.fill("input[name=bootstrap]", "200")
    page.click("#run-analysis")
    # 换行意向 is no question's name: the mapping page names it and asks
    expect(page.locator("#unmapped")).to_contain_text("换行意向")
    row = page.locator("#mapping tr.unmapped")
    row.locator("select").select_option("loy2")
    page.click("#run-mapped")
    page.wait_for_selector("#run-status[data-status=done]")
    assert page.locator("#validity").is_visible()
    change = page.locator("#wave-change")
    expect(change).to_contain_text("2026年第2季度")
    expect(change).to_contain_text("2026年第3季度")
    assert "p=" in change.inner_text()
    # The item matrix: question texts as labels, no two label boxes overlapping, all inside
    matrix = page.locator("#item-matrix svg, #priority svg").first
    labels = matrix.locator("text.label")
    assert labels.count() >= 3
    view = [float(v) for v in matrix.get_attribute("viewBox").split()]
    boxes = [
        [float(v) for v in labels.nth(i).get_attribute("data-box").split()]
        for i in range(labels.count())
    ]
    for a, b in combinations(boxes, 2):
        assert not _overlap(a, b), (a, b)
    for x, y, w, h in boxes:
        assert (
            view[0] <= x
            and x + w <= view[0] + view[2]
            and view[1] <= y
            and y + h <= view[1] + view[3]
        )
    drawn = labels.evaluate_all(
        "nodes => nodes.map(n => { const b = n.getBBox(); return [b.x, b.y, b.width, b.height]; })"
    )
    for (x, y, w, h), (bx, by, bw, bh) in zip(boxes, drawn, strict=True):
        assert x - 1 <= bx and bx + bw <= x + w + 1 and y - 1 <= by and by + bh <= y + h + 1
    assert "等候时间" in (matrix.text_content() or "") + page.locator("#priority").inner_text()
    with page.expect_download() as xlsx:
        page.click("#download-xlsx")
    assert xlsx.value.suggested_filename.endswith(".xlsx")
    with page.expect_download() as pdf:
        page.click("#download-pdf")
    document = tmp_path / "report.pdf"
    pdf.value.save_as(document)
    assert document.read_bytes()[:4] == b"%PDF"
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm (poppler-utils) missing: `make test` installs it")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n"
    )
    import os

    bare = {**os.environ, "FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(tmp_path)}
    words = _words(document, bare)
    raster = _page(document, Path(tmp_path), bare)
    chinese = [(w, box) for w, box in words[:12] if any("\u4e00" <= c <= "\u9fff" for c in w)]
    assert chinese, words[:12]
    word, box = chinese[0]
    assert raster.ink(box) > 15 * len(word), word  # glyphs drawn, not left to a viewer
