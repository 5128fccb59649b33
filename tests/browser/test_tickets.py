"""Helpers for the desk's browser tests (tests/browser/test_desk.py has the procedure), and
the desk's configuration page in the browser."""

from __future__ import annotations

import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")


def logout(page) -> None:
    page.click("form[action$='/logout/'] button")


def take(page, step: str, fields: dict[str, str] | None = None) -> None:
    """Fill and send a step's form, opening the "more steps" or decline panel it sits in."""
    form = page.locator(f"form[data-step='{step}'], [data-step='{step}'] form").first
    form.evaluate(
        "f => { for (let d = f.closest('details'); d; d = d.parentElement.closest('details'))"
        " d.open = true; }"
    )
    for name, value in (fields or {}).items():
        field = form.locator(f"[name='{name}']")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def status(page) -> str:
    return page.locator("#ticket-status").get_attribute("data-status")


def test_a_manager_configures_the_desk_in_the_browser(org, live_server, browser_page):
    from manyi.tickets.models import ReasonCode, Settings

    ReasonCode.objects.create(code="S", name="服务")
    page, base = browser_page, live_server.url
    login(page, base, "boss")
    page.click("[data-nav='tickets']")
    page.click("#configure-desk")
    assert page.locator("#default-rules").is_visible()  # the built-in limits, until changed
    page.click("#add-reason")
    page.fill("input[name=code]", "S05")
    page.fill("input[name=name]", "叫号系统故障")
    page.select_option("select[name=parent]", label="S 服务")
    page.click("#config-form button[type=submit]")
    page.wait_for_load_state()
    assert "叫号系统故障" in page.locator("#reason").inner_text()
    page.click("#edit-settings")
    page.fill("input[name=repeat_window_days]", "400")
    page.click("#config-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("#config-form .errorlist").is_visible()  # refused, in the form
    page.fill("input[name=repeat_window_days]", "14")
    page.click("#config-form button[type=submit]")
    page.wait_for_load_state()
    assert ReasonCode.objects.get(code="S05").parent.code == "S"
    assert Settings.current().repeat_window_days == 14
