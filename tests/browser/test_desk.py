"""The complaint desk as an agent and a supervisor work it, in the browser: the whole
procedure with an approval from the 待我审批 list, a demand declined with reasons, and a
customer closed as unreachable after the configured attempts."""

from __future__ import annotations

import pytest

from tests.browser.test_tickets import login, logout, status, take

pytestmark = pytest.mark.django_db(transaction=True)


def _departments(org) -> None:
    from manyi.org.models import Department

    Department.objects.create(company=org.company, branch=org.a1, kind="warehouse", name="仓库")
    Department.objects.create(company=org.company, branch=org.a1, kind="marketing", name="市场部")


def _register(page, base: str, subject: str) -> str:
    page.click("[data-nav='tickets']")
    page.click("#register-ticket")
    page.fill("input[name=customer]", "13512345678")
    page.fill("input[name=customer_name]", "赵敏")
    page.fill("input[name=subject]", subject)
    page.fill("input[name=product]", "双门冰箱")
    page.click("#save-ticket")
    page.wait_for_load_state()
    return page.locator("h1").inner_text().split()[0]


def _flash(page) -> str:
    return page.locator(".messages").inner_text()


def test_the_whole_procedure_with_an_approval_from_the_list(org, live_server, browser_page):
    _departments(org)
    page, base = browser_page, live_server.url
    login(page, base, "agent_a1")
    number = _register(page, base, "冰箱不制冷")
    assert status(page) == "assigned"  # whoever registers it handles it
    url = page.url
    page.click("[data-nav='tickets']")  # ... and it is in their own queue, the default tab
    assert page.locator("nav.tabs [aria-current='page']").get_attribute("data-queue") == "mine"
    assert number in page.locator("#tickets").inner_text()
    page.goto(url)
    assert page.locator("#stepper li[aria-current='step']").get_attribute("data-stage") == (
        "contact"
    )
    take(page, "contact", {"outcome": "reached", "note": "已回电，约定上门检测"})
    assert "联系已记录" in _flash(page)
    take(page, "investigate", {"cause": "压缩机故障", "severity": "2", "company_fault": "yes"})
    assert "分析已保存" in _flash(page)
    take(
        page,
        "propose",
        {
            "kind_1": "replacement",
            "amount_1": "1500",
            "department_1": "仓库",
            "kind_2": "gift",
            "amount_2": "50",
            "description_2": "保温杯",
            "department_2": "市场部",
        },
    )
    assert status(page) == "awaiting_approval"
    assert "方案已提交，等待主管审批。" in _flash(page)
    assert page.locator("[data-step='approve']").count() == 0  # not the agent's to decide
    assert "等待主管审批：员工super" in page.locator("#waiting").inner_text()
    logout(page)

    login(page, base, "super")
    assert page.locator("[data-badge='approvals']").inner_text() == "1"
    assert page.locator("[data-badge='inbox']").inner_text() == "1"  # the bell
    page.click("[data-nav='inbox']")
    assert f"{number} 等待您审批：¥1,550.00 的处理方案" in page.locator("#inbox").inner_text()
    page.click("[data-nav='approvals']")
    row = page.locator(f"#approvals tr[data-ticket='{number}']")
    row.locator("input[name=comment]").first.fill("同意换新")
    row.locator("[data-decision='approve'] button").click()
    page.wait_for_load_state()
    assert "方案已批准" in _flash(page)
    assert page.locator(f"#approvals tr[data-ticket='{number}']").count() == 0
    logout(page)

    login(page, base, "agent_a1")
    assert page.locator("[data-badge='inbox']").inner_text() == "1"
    page.click("[data-nav='inbox']")
    page.click(f"#inbox a:has-text('员工super 批准了您在 {number} 上的方案')")
    page.wait_for_load_state()
    assert page.url == url and page.locator("[data-badge='inbox']").count() == 0  # read
    assert status(page) == "approved"
    take(page, "agree", {"method": "in_person"})
    assert "已记录客户同意，已下达 2 张执行单。" in _flash(page)
    orders = page.locator("[data-step='complete_order'] form.order")
    labels = orders.all_inner_texts()
    assert "仓库 · 换货 ¥1,500.00" in labels[0] and "市场部 · 赠品 ¥50.00（保温杯）" in labels[1]
    assert page.locator("form[data-step='close']").count() == 0  # orders are open
    for _order in range(2):
        page.locator("[data-step='complete_order'] form.order button").first.click()
        page.wait_for_load_state()
    assert status(page) == "follow_up"
    assert "全部执行单已完成" in _flash(page)
    take(page, "follow_up", {"satisfied": "true", "note": "新机运转正常"})
    take(page, "close", {"note": "客户满意"})
    assert status(page) == "closed" and "已结案" in _flash(page)
    assert page.locator("#ticket-outcome").inner_text() == "已解决，客户满意"
    kinds = page.locator("ol.flow li").evaluate_all("items => items.map(i => i.dataset.kind)")
    assert kinds == [
        "register",
        "contact",
        "proposal",
        "approval",
        "agreement",
        "order",
        "order",
        "order_done",
        "order_done",
        "follow_up",
        "close",
    ]
    flow = page.locator("ol.flow").inner_text()
    assert "批准（主管） 员工super" in flow and "同意换新" in flow
    assert "执行单已完成：仓库 · 换货 ¥1,500.00" in flow
    assert all(
        page.locator("ol.flow li time").evaluate_all("ts => ts.map(t => t.textContent.length)")
    )
    stages = page.locator("#stepper li").evaluate_all("items => items.map(i => i.className)")
    assert stages == ["done"] * 7


def test_a_claim_declined_with_reasons_closes_with_a_supervisor(org, live_server, browser_page):
    page, base = browser_page, live_server.url
    login(page, base, "agent_a1")
    _register(page, base, "要求退还全部年费")
    url = page.url
    take(page, "investigate", {"cause": "年费已按合同告知", "severity": "1", "company_fault": "no"})
    take(
        page,
        "decline",
        {
            "position": "年费按签约时告知的标准收取，不予退还。",
            "reasons": "合同第5条约定了年费，签约时客户已签字确认。",
        },
    )
    assert status(page) == "awaiting_approval"
    assert "拒绝诉求已提交，等待主管决定。" in _flash(page)
    assert page.locator("[data-step='approve']").count() == 0
    logout(page)

    login(page, base, "super")
    page.goto(url)
    assert "审批：拒绝客户诉求" in page.locator("#steps").inner_text()
    take(page, "approve", {"comment": "理由充分"})
    assert status(page) == "closed"
    assert "已批准拒绝诉求，工单已结案。" in _flash(page)
    assert page.locator("#ticket-outcome").inner_text() == "有理由拒绝"
    flow = page.locator("ol.flow").inner_text()
    assert "向客户说明的理由：合同第5条约定了年费" in flow and "已结案：有理由拒绝" in flow


def test_an_unreachable_customer_closes_after_the_configured_attempts(
    org, live_server, browser_page
):
    from manyi.org.actions import SYSTEM
    from manyi.tickets import actions
    from manyi.tickets.models import Settings

    actions.save_configuration(
        SYSTEM,
        Settings.current(),
        # days: the unit tests count business days; a browser run may fall on a weekend
        changes={"unreachable_attempts": 2, "unreachable_business_days": 0},
    )
    page, base = browser_page, live_server.url
    login(page, base, "agent_a1")
    _register(page, base, "投诉上门服务迟到")
    take(page, "contact", {"outcome": "no_answer", "note": "无人接听"})
    assert page.locator("[data-step='close_unreachable']").count() == 0  # one is not enough
    take(page, "contact", {"outcome": "busy", "note": "占线"})
    take(page, "close_unreachable", {"note": "两次未接通，已发短信告知"})
    assert status(page) == "closed"
    assert page.locator("#ticket-outcome").inner_text() == "联系不上客户"
    assert "已结案：联系不上客户。" in _flash(page)
