"""Administration in the browser: an administrator adds a supervisor for a branch, who
then logs in with the first password and approves a proposal waiting in that branch."""

from __future__ import annotations

import pytest

from manyi.tickets.tests.test_approvals import _proposed
from tests.browser.test_tickets import login, logout

pytestmark = pytest.mark.django_db(transaction=True)

FIRST_PASSWORD = "Lanqiao-7395!"


def test_an_administrator_adds_a_supervisor_who_logs_in_and_approves(
    org, live_server, browser_page
):
    waiting = _proposed(org, 800, "冰箱漏水")
    assert waiting.status == "awaiting_approval"
    page, base = browser_page, live_server.url
    login(page, base, "admin")
    page.click("[data-nav='org.staff']")
    page.click("text=新增员工")
    page.fill("input[name=username]", "wangfang")
    page.fill("input[name=name]", "王芳")
    page.select_option("select[name=role]", "supervisor")
    page.select_option("select[name=scope]", "branch")
    page.check("#id_branches label:has-text('上海一支行（华东区）') input")
    page.fill("input[name=password]", FIRST_PASSWORD)
    page.click("#staff-form button[type=submit]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("王芳")
    assert "已添加 王芳" in page.locator(".messages").inner_text()
    assert "上海一支行" in page.locator("dl.facts").first.inner_text()
    logout(page)

    page.goto(f"{base}/login/")
    page.fill("input[name=username]", "wangfang")
    page.fill("input[name=password]", FIRST_PASSWORD)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert page.locator("[data-badge='approvals']").inner_text() == "1"
    page.click("[data-nav='approvals']")
    row = page.locator(f"#approvals tr[data-ticket='{waiting.number}']")
    row.locator("input[name=comment]").first.fill("同意")
    row.locator("[data-decision='approve'] button").click()
    page.wait_for_load_state()
    assert "方案已批准" in page.locator(".messages").inner_text()
    from manyi.tickets.models import Ticket

    assert Ticket.objects.get(pk=waiting.pk).status == "approved"
