"""An agent searches a customer by pinyin initials, opens the tracking card, sees the timeline."""

from __future__ import annotations

import datetime as dt

import pytest

from conftest import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_open_the_card_and_see_the_timeline(org, live_server, browser_page):
    from manyi.customers import actions
    from manyi.org.actions import SYSTEM

    zhang = actions.create_customer(
        SYSTEM, branch=org.a1, name="张伟", contacts=[("phone", "13800138000")], tier="key"
    )
    actions.record_transaction(
        SYSTEM,
        zhang,
        product="大额存单",
        amount="200000",
        occurred_at=dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC),
    )
    actions.create_customer(
        SYSTEM, branch=org.b1, name="张伟强", contacts=[("phone", "13700008000")]
    )  # another branch

    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "agent_a1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.click("[data-nav='customers']")
    page.fill("input[name=q]", "zw")
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#customer-results >> text=张伟")
    results = page.locator("#customer-results tbody").inner_text()
    assert "138****8000" in results and "张伟强" not in results
    page.click("#customer-results >> text=张伟")
    page.wait_for_selector("#timeline")
    assert page.locator("h1").inner_text().startswith("张伟")
    assert "200,000.00" in page.locator("[data-figure='lifetime_revenue']").inner_text()
    lines = page.locator("#timeline li")
    assert lines.count() == 2
    assert "建立客户档案" in lines.nth(0).inner_text()
    assert "大额存单" in lines.nth(1).inner_text() and "2026-03-01" in lines.nth(1).inner_text()


def test_a_manager_adds_a_customer_and_a_purchase(org, live_server, browser_page):
    """The customer's page and the purchase page, as a manager fills them in a browser: the
    card then shows the purchase and the lifetime revenue."""
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit].primary")
    page.click("[data-nav='customers']")
    page.click("#new-customer")
    page.wait_for_selector("#customer-form")
    page.check("input[name=kind][value=organisation]")
    page.fill("input[name=name]", "申江贸易有限公司")
    page.select_option("select[name=branch]", label="上海一支行 (A1)")
    page.select_option("select[name=tier]", "key")
    page.check("input[name=relationship][value=A]")
    page.check("input[name=callback_consent]")
    page.fill("input[name=callback_from]", "09:00")
    page.fill("input[name=callback_until]", "11:30")
    page.fill("input[name=tags]", "经销商、华东")
    page.select_option("select[name=contact-0-kind]", "mobile")
    page.fill("input[name=contact-0-value]", "13912345678")
    page.click("#save-customer")
    page.wait_for_selector("#key-figures")
    assert page.locator("h1").inner_text().startswith("申江贸易有限公司")
    assert "139****5678" in page.locator("main").inner_text()  # masked on the card

    page.click("#add-purchase")
    page.wait_for_selector("#purchase-form")
    page.fill("input[name=product]", "年度供货合同")
    page.fill("input[name=amount]", "128000.50")
    page.fill("input[name=occurred_at]", "2026-03-02T14:30")
    page.select_option("select[name=channel]", "dealer")
    page.fill("input[name=external_ref]", "HT-2026-001")
    page.click("#save-purchase")
    page.wait_for_selector("#purchases")
    assert "128,000.50" in page.locator("[data-figure='lifetime_revenue']").inner_text()
    row = page.locator("#purchases tbody tr").first.inner_text()
    assert "年度供货合同" in row and "HT-2026-001" in row and "2026-03-02 14:30" in row
