"""An agent takes a complaint through seed 003's seven steps in the browser; the supervisor
approves the remedy that is over the agent's limit."""

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
    form = page.locator(f"form[data-step='{step}']").first
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


def test_seven_steps_in_the_browser(org, live_server, browser_page):
    from manyi.org.models import Department

    Department.objects.create(company=org.company, branch=org.a1, kind="warehouse", name="仓库")
    page, base = browser_page, live_server.url
    login(page, base, "agent_a1")
    page.click("[data-nav='tickets']")
    page.click("#register-ticket")
    page.fill("input[name=customer]", "13512345678")
    page.fill("input[name=customer_name]", "赵敏")
    page.fill("input[name=subject]", "冰箱不制冷")
    page.fill("input[name=product]", "双门冰箱")
    page.click("#save-ticket")
    assert status(page) == "assigned"  # whoever registers it handles it
    number = page.locator("h1").inner_text().split()[0]
    assert number.startswith("TS-")

    take(page, "assign")  # (passing it on: here to the same agent, the default choice)
    assert status(page) == "assigned"
    take(page, "contact", {"outcome": "reached", "note": "已回电"})
    take(page, "investigate", {"cause": "压缩机故障", "severity": "2", "company_fault": "yes"})
    assert status(page) == "investigating"
    take(
        page,
        "propose",
        {"kind_1": "replacement", "amount_1": "1500", "department_1": "仓库"},
    )
    assert status(page) == "awaiting_approval"
    take(page, "approve")  # over the agent's limit: refused
    assert "主管" in page.locator(".messages").inner_text()
    assert status(page) == "awaiting_approval"
    url = page.url
    logout(page)

    login(page, base, "super")
    page.goto(url)
    take(page, "approve", {"comment": "同意换新"})
    assert status(page) == "approved"
    logout(page)

    login(page, base, "agent_a1")
    page.goto(url)
    take(page, "agree", {"method": "in_person"})
    assert status(page) == "executing"
    assert page.locator("form[data-step='close']").count() == 0  # an order is open
    take(page, "complete_order")
    assert status(page) == "follow_up"
    take(page, "follow_up", {"satisfied": "false", "note": "新机也有问题"})
    assert status(page) == "investigating"
    take(page, "propose", {"kind_1": "care_visit", "amount_1": "100"})
    take(page, "agree", {"method": "in_person"})
    take(page, "follow_up", {"satisfied": "true"})
    take(page, "close", {"note": "客户满意"})
    assert status(page) == "closed"
    page.click("[data-nav='tickets']")
    page.click("[data-queue='all']")
    assert number in page.locator("#tickets").inner_text()


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
