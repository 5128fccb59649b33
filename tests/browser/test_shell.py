"""A person logs in, switches the language, and finds the Chinese navigation again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_login_switch_language_and_see_the_chinese_navigation(org, live_server, browser_page):
    page = browser_page
    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "登录满意"
    page.fill("input[name=username]", "super")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector("[data-nav='org.branches']")
    nav = page.locator("nav.mainnav").inner_text()
    assert "网点" in nav and "员工" in nav and "审计日志" in nav
    assert page.locator("[data-card='org.branches'] .value").inner_text() == "1"

    page.click("button[data-lang='en']")
    page.wait_for_selector("nav.mainnav >> text=Branches")
    assert "Audit trail" in page.locator("nav.mainnav").inner_text()
    assert page.locator("html").get_attribute("lang") == "en"

    page.click("button[data-lang='zh-hans']")
    page.wait_for_selector("nav.mainnav >> text=网点")
    nav = page.locator("nav.mainnav").inner_text()
    assert "网点" in nav and "Branches" not in nav
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    page.click("[data-nav='org.staff']")
    page.wait_for_selector("table.table")
    assert "员工agent_a1" in page.content() and "员工agent_b1" not in page.content()


def test_supervisor_reveals_a_phone_and_it_is_audited(org, live_server, browser_page):
    from manyi.org.models import Staff

    target = Staff.objects.get(user=org.agent_a1).pk
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "super")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_selector("[data-nav='org.staff']")
    page.goto(f"{live_server.url}/org/staff/{target}/")
    phone = page.locator(".pii[data-field='phone']")
    assert phone.inner_text() == "139****1111"
    page.click("button.reveal >> nth=0")
    expect(page.locator(".pii[data-field='phone']")).to_have_text("13900001111")
    page.goto(f"{live_server.url}/org/audit/?action=pii.reveal")
    shown = page.locator("table.table").inner_text()
    assert "查看未脱敏的个人信息" in shown and "手机" in shown  # the action and field in words
