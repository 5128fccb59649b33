"""A manager builds a segment with the rule builder, reads its conditions in words and sees
its members; the builder also works with JavaScript off."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def _customers(org) -> None:
    from manyi.customers import actions
    from manyi.customers.models import Customer
    from manyi.org.actions import SYSTEM

    actions.create_customer(SYSTEM, branch=org.a1, name="张伟", tier="key")
    actions.create_customer(SYSTEM, branch=org.a1, name="李娜", tier="vip")
    actions.create_customer(SYSTEM, branch=org.a1, name="赵文", tier="ordinary")
    actions.create_customer(SYSTEM, branch=org.b1, name="王芳", tier="key")
    # the nightly job's RFM scores: 李娜 bought recently, the others not
    Customer.objects.update(r_score=2)
    Customer.objects.filter(name="李娜").update(r_score=5)


def _log_in(page, live_server) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")


def test_a_manager_builds_a_segment_and_sees_its_members(org, live_server, browser_page):
    _customers(org)
    page = browser_page
    _log_in(page, live_server)
    page.click("[data-nav='customers.segments']")
    page.click("#new-segment")
    page.fill("input[name=name]", "上海沉睡大客户")

    # 1: 客户等级 属于其中之一 大客户、VIP: ticking boxes once "is one of" is chosen
    page.select_option("select[name=condition-0-field]", "tier")
    page.select_option("select[name=condition-0-op]", "in")
    page.check("input[name=condition-0-value][value=key]")
    page.check("input[name=condition-0-value][value=vip]")

    # 2: 网点 等于 上海一支行: a list of the branches
    page.click("#add-condition")
    page.select_option("select[name=condition-1-field]", "branch")
    expect(page.locator("select[name=condition-1-op] option")).to_have_count(3)
    page.select_option("select[name=condition-1-value]", "A1")

    # 3: 最近购买得分 不超过 2: a number; a mistake first, then put right
    page.click("#add-condition")
    page.select_option("select[name=condition-2-field]", "r_score")
    assert page.get_attribute("input[name=condition-2-value]", "type") == "number"
    page.select_option("select[name=condition-2-op]", "lte")
    page.fill("input[name=condition-2-value]", "7")

    # 4: added and removed again
    page.click("#add-condition")
    page.select_option("select[name=condition-3-field]", "gender")
    page.check("input[name=condition-3-DELETE]")
    expect(page.locator("li.condition[data-prefix=condition-3]")).to_be_hidden()

    page.fill("textarea[name=strategy]", "客户经理一周内电话回访")
    page.click("#save-segment")
    # refused, nothing lost: the score must be 1 to 5
    expect(page.locator("li.condition[data-prefix=condition-2] .errorlist")).to_contain_text("1")
    assert page.input_value("input[name=name]") == "上海沉睡大客户"
    assert page.is_checked("input[name=condition-0-value][value=vip]")
    assert page.input_value("select[name=condition-1-value]") == "A1"
    page.fill("input[name=condition-2-value]", "2")
    page.click("#save-segment")

    page.wait_for_selector("#members")
    assert page.locator("h1").inner_text() == "上海沉睡大客户"
    conditions = page.locator("#conditions li")
    expect(conditions).to_have_count(3)
    assert conditions.nth(0).inner_text() == "客户等级 属于其中之一 大客户、VIP"
    assert conditions.nth(1).inner_text() == "网点 等于 上海一支行 (A1)"
    assert conditions.nth(2).inner_text() == "最近购买得分 不超过 2"
    members = page.locator("#members tbody").inner_text()
    assert "张伟" in members
    assert "李娜" not in members and "赵文" not in members and "王芳" not in members
    assert page.locator("[data-figure=size] .value").inner_text() == "1"

    # the list says the same in one sentence
    page.click("[data-nav='customers.segments']")
    row = page.locator("#segments tr", has_text="上海沉睡大客户")
    expect(row.locator("td.conditions")).to_have_text(
        "客户等级 属于其中之一 大客户、VIP 且 网点 等于 上海一支行 (A1) 且 最近购买得分 不超过 2"
    )

    # editing: the rows come back as built; dropping the score lets 李娜 in
    row.locator("a").click()
    page.click("#edit-segment")
    assert page.is_checked("input[name=condition-0-value][value=key]")
    assert page.input_value("input[name=condition-2-value]") == "2"
    page.check("input[name=condition-2-DELETE]")
    page.click("#save-segment")
    page.wait_for_selector("#members")
    expect(page.locator("#conditions li")).to_have_count(2)
    assert "李娜" in page.locator("#members tbody").inner_text()


def test_the_builder_works_without_javascript(org, live_server, browser_page):
    _customers(org)
    context = browser_page.context.browser.new_context(
        locale="zh-CN", java_script_enabled=False, viewport={"width": 1280, "height": 800}
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    _log_in(page, live_server)
    page.goto(f"{live_server.url}/customers/segments/new/")
    page.fill("input[name=name]", "上海VIP")
    page.select_option("select[name=condition-0-field]", "tier")
    # the value box is still the one for "no attribute yet": typing the label is enough
    page.fill("input[name=condition-0-value]", "VIP")
    page.click("#add-condition")  # the page again, with one more row and nothing lost
    assert page.input_value("input[name=name]") == "上海VIP"
    assert page.input_value("select[name=condition-0-value]") == "vip"
    page.select_option("select[name=condition-1-field]", "branch")
    page.fill("input[name=condition-1-value]", "上海一支行")
    page.click("#save-segment")
    page.wait_for_selector("#members")
    assert page.locator("#conditions li").all_inner_texts() == [
        "客户等级 等于 VIP",
        "网点 等于 上海一支行 (A1)",
    ]
    members = page.locator("#members tbody").inner_text()
    assert "李娜" in members and "张伟" not in members
    context.close()
