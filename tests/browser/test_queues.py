"""A customer takes a number at the kiosk, the clerk calls it at the counter with the
keyboard, and the hall's board shows it within a second without reloading."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_tickets import login

pytestmark = pytest.mark.django_db(transaction=True)


def _hall(org):
    from manyi.businesstime.testing import open_around_the_clock
    from manyi.queues import actions
    from manyi.queues.models import Counter, CounterService, ServiceType

    open_around_the_clock(org.a1)
    personal = ServiceType.objects.create(branch=org.a1, prefix="A", name="个人业务", position=1)
    counter = Counter.objects.create(branch=org.a1, number=3, name="3号窗口")
    CounterService.objects.create(counter=counter, service=personal, preference=1)
    return actions.ensure_settings(org.a1), counter


def ready(page, selector: str) -> None:
    """The next page is there and its scripts run (the keyboard's script is deferred: a
    key pressed before it runs would be lost)."""
    page.wait_for_selector(selector)
    page.wait_for_load_state("load")


def test_kiosk_counter_and_board(org, live_server, browser_page):
    settings, counter = _hall(org)
    base = live_server.url
    board = browser_page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 720}
    ).new_page()
    board.goto(f"{base}/q/board/{settings.board_key}/")
    assert board.locator("#current-number").inner_text() == "—"

    kiosk = browser_page.context.browser.new_context(
        locale="zh-CN", viewport={"width": 1080, "height": 1920}, has_touch=True
    ).new_page()
    kiosk.goto(f"{base}/q/kiosk/{settings.kiosk_key}/")
    kiosk.click("button[data-service=A]")
    assert kiosk.locator("#issued-number").inner_text() == "A001"
    assert kiosk.locator(".qr svg").count() == 1

    clerk = browser_page
    login(clerk, base, "agent_a1")
    clerk.goto(f"{base}/queues/counter/{counter.pk}/")
    clerk.click("#open")
    ready(clerk, "#call-next")
    clerk.keyboard.press("n")  # the console is keyboard-driven
    ready(clerk, "#recall")
    called = time.monotonic()
    assert clerk.locator("#current-number").inner_text() == "A001"
    # the board shows it without a reload, well within a second of the call
    expect(board.locator("#current-number")).to_have_text("A001", timeout=1000)
    assert time.monotonic() - called < 1.0
    assert "3" in board.locator("#current-counter").inner_text()
    assert board.locator("#recent-calls tbody tr").first.inner_text().startswith("A001")
    # a recall reaches the board too
    clerk.keyboard.press("r")
    expect(board.locator("#recent-calls tbody tr")).to_have_count(2, timeout=1000)
    clerk.keyboard.press("s")
    ready(clerk, "#finish")
    clerk.keyboard.press("f")
    ready(clerk, "#call-next")
    from manyi.queues.models import QueueTicket

    assert QueueTicket.objects.get().status == "done"


def test_the_customer_follows_the_number_on_a_phone(org, live_server, browser_page):
    settings, counter = _hall(org)
    from manyi.queues import actions

    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/q/door/{settings.door_key}/")
    page.click("#take button[type=submit]")
    page.wait_for_selector("#ticket-status")
    assert "A001" in page.locator(".big-number").inner_text()
    clerk = org.agent_a1
    actions.open_counter(clerk, counter)
    actions.call_next(clerk, counter)
    expect(page.locator("#status-message")).to_have_class(re.compile("calling"), timeout=5000)
    assert "3" in page.locator("#status-message").inner_text()


def test_a_manager_sets_up_businesses_and_counters(org, live_server, browser_page):
    """A new branch: the manager adds its businesses and a counter with its order of
    preference on one page, and the kiosk offers the business at once."""
    from manyi.businesstime.testing import open_around_the_clock
    from manyi.queues import actions
    from manyi.queues.models import Counter

    open_around_the_clock(org.a1)
    page, base = browser_page, live_server.url
    login(page, base, "boss")
    page.goto(f"{base}/queues/setup/?branch={org.a1.code}")
    new = page.locator("#new-service")
    new.locator("input[name=prefix]").fill("a")
    new.locator("input[name=name]").fill("个人业务")
    new.locator("button[type=submit]").click()
    page.wait_for_selector("#services input[value='A']")
    new = page.locator("#new-service")
    new.locator("input[name=prefix]").fill("B")
    new.locator("input[name=name]").fill("对公业务")
    new.locator("button[type=submit]").click()
    page.wait_for_selector("#services input[value='B']")
    counter_row = page.locator("#new-counter")
    counter_row.locator("input[name=name]").fill("1号窗口")
    inputs = counter_row.locator("input[name^=pref_]")
    inputs.nth(0).fill("2")  # A second,
    inputs.nth(1).fill("1")  # B first
    counter_row.locator("button[type=submit]").click()
    page.wait_for_selector("#counters td .muted")
    assert "B › A" in page.locator("#counters").inner_text()
    counter = Counter.objects.get(branch=org.a1)
    assert counter.number == 1 and [s.prefix for s in counter.services_in_order()] == ["B", "A"]

    kiosk = page.context.browser.new_context(locale="zh-CN").new_page()
    kiosk.goto(f"{base}/q/kiosk/{actions.ensure_settings(org.a1).kiosk_key}/")
    kiosk.click("button[data-service=B]")
    assert kiosk.locator("#issued-number").inner_text() == "B001"


def test_the_rules_are_set_in_minutes_and_a_bad_entry_is_told(org, live_server, browser_page):
    """A head start of two and a half minutes is typed as 2.5 and kept as 150 seconds; a
    number given with a wrong phone comes back with the reason and what was typed."""
    from manyi.queues.models import QueueSettings

    _settings, _counter = _hall(org)
    page, base = browser_page, live_server.url
    login(page, base, "boss")
    page.goto(f"{base}/queues/rules/?branch={org.a1.code}")
    assert page.locator("input[name=vip_head_start]").input_value() == "10"
    page.fill("input[name=vip_head_start]", "2.5")
    page.click("#rules-form button[type=submit]")
    page.wait_for_selector(".messages")
    assert page.locator("input[name=vip_head_start]").input_value() == "2.5"
    assert QueueSettings.objects.get(branch=org.a1).vip_head_start_s == 150
    assert "秒" not in page.locator("main").inner_text()

    page.goto(f"{base}/queues/?branch={org.a1.code}")
    page.fill("#issue input[name=phone]", "12345")
    page.select_option("#issue select[name=priority]", "elderly")
    page.click("#issue button[type=submit]")
    page.wait_for_selector("#issue .errorlist")
    assert "11 位手机号码" in page.locator("#issue").inner_text()
    assert page.locator("#issue input[name=phone]").input_value() == "12345"
    assert page.locator("#issue select[name=priority]").input_value() == "elderly"
