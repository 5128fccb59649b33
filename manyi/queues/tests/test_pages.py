"""The kiosk, the phone pages, the board's feed, the counter console and the statistics."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.queues import actions, live
from manyi.queues.models import QueueTicket

pytestmark = pytest.mark.django_db


def test_the_kiosk_gives_a_number_with_a_qr_code_and_an_estimate(client, org, hall, at_ten):
    settings = actions.ensure_settings(org.a1)
    page = client.get(f"/q/kiosk/{settings.kiosk_key}/")
    assert page.status_code == 200 and "个人业务" in page.content.decode()
    assert "10 分钟" in page.content.decode() or "600" in page.content.decode()  # the rule told
    done = client.post(f"/q/kiosk/{settings.kiosk_key}/", {"service": "A", "elderly": "1"})
    text = done.content.decode()
    assert "A001" in text and "<svg" in text
    ticket = QueueTicket.objects.get()
    assert ticket.priority == "elderly" and ticket.channel == "kiosk"
    assert client.get("/q/kiosk/wrong-key/").status_code == 404


def test_a_vip_at_the_kiosk_is_recognised_by_the_phone_on_the_card(client, org, hall, at_ten):
    customer = customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="钱七", contacts=[("mobile", "13700000007")]
    )
    settings = actions.ensure_settings(org.a1)
    url = f"/q/kiosk/{settings.kiosk_key}/"
    refused = client.post(url, {"service": "A", "vip": "1", "phone": "13700000007"})
    assert "VIP" in refused.content.decode() and not QueueTicket.objects.exists()
    customer.tier = "vip"
    customer.save(update_fields=["tier"])
    client.post(url, {"service": "A", "vip": "1", "phone": "13700000007"})
    ticket = QueueTicket.objects.get()
    assert ticket.priority == "vip" and ticket.customer == customer


def test_the_door_qr_leads_to_the_status_page_which_follows_the_number(client, org, hall, at_ten):
    settings = actions.ensure_settings(org.a1)
    taken = client.post(f"/q/door/{settings.door_key}/", {"service": "A"})
    assert taken.status_code == 302 and taken["Location"].startswith("/q/t/")
    status_url = taken["Location"]
    state = client.get(status_url + "state").json()
    assert state["status"] == "waiting" and state["ahead"] == 0
    assert state["wait_s"] is None  # no counter open yet: said so, not guessed
    second_url = client.post(f"/q/door/{settings.door_key}/", {"service": "A"})["Location"]
    actions.open_counter(org.agent_a1, hall.counters[1])
    assert client.get(status_url + "state").json()["wait_s"] == 0  # the counter is free
    second = client.get(second_url + "state").json()
    assert second["ahead"] == 1 and second["low_s"] <= second["wait_s"] <= second["high_s"]
    assert second["wait_s"] > 60  # behind a whole service
    actions.call_next(org.agent_a1, hall.counters[1])
    called = client.get(status_url + "state").json()
    assert called["status"] == "called" and called["counter"] == 1
    assert "1" in called["message"]


def test_leaving_from_the_phone(client, org, hall, at_ten):
    settings = actions.ensure_settings(org.a1)
    status_url = client.post(f"/q/door/{settings.door_key}/", {"service": "A"})["Location"]
    client.post(status_url + "leave")
    assert QueueTicket.objects.get().status == "abandoned"
    assert client.post(status_url + "leave").status_code == 409


def test_remote_check_in_only_where_allowed_and_with_a_phone(client, org, hall, at_ten):
    assert client.get("/q/remote/A1/").status_code == 404
    actions.save_settings(org.manager, org.a1, remote_check_in=True)
    refused = client.post("/q/remote/A1/", {"service": "A"})
    assert "手机" in refused.content.decode() and not QueueTicket.objects.exists()
    client.post("/q/remote/A1/", {"service": "A", "phone": "13900000009"})
    assert QueueTicket.objects.get().channel == "remote"


def test_the_phone_pages_limit_numbers_per_phone(client, org, hall, at_ten):
    url = f"/q/door/{actions.ensure_settings(org.a1).door_key}/"
    for _ in range(3):
        client.post(url, {"service": "A", "phone": "13900000010"})
    too_many = client.post(url, {"service": "A", "phone": "13900000010"})
    assert too_many.status_code == 200 and QueueTicket.objects.count() == 3
    assert "太多" in too_many.content.decode()
    client.post(url, {"service": "A", "phone": "13900000011"})
    assert QueueTicket.objects.count() == 4  # another phone on the same Wi-Fi still can


def test_the_board_feed_sends_each_call_once_in_order(client, org, hall, at_ten, monkeypatch):
    settings = actions.ensure_settings(org.a1)
    for _ in range(2):
        actions.take_number("kiosk:test", org.a1, hall.personal)
    start = live.board_state(org.a1)["last_id"]
    actions.open_counter(org.agent_a1, hall.counters[3])
    actions.call_next(org.agent_a1, hall.counters[3])
    actions.recall(org.agent_a1, hall.counters[3])
    monkeypatch.setattr(live, "STREAM_SECONDS", 0.3)
    response = client.get(f"/q/board/{settings.board_key}/stream?after={start}")
    assert response["Content-Type"] == "text/event-stream"
    body = b"".join(response.streaming_content).decode()
    calls = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert [(c["number"], c["counter"], c["recall"]) for c in calls] == [
        ("A001", 3, False),
        ("A001", 3, True),
    ]
    assert "A 0 0 1" in calls[0]["say"]
    again = client.get(
        f"/q/board/{settings.board_key}/stream", headers={"last-event-id": str(calls[-1]["id"])}
    )
    assert "data:" not in b"".join(again.streaming_content).decode()  # nothing twice
    state = client.get(f"/q/board/{settings.board_key}/state").json()
    assert state["calls"][0]["number"] == "A001" and state["waiting"][0]["waiting"] == 1


def test_the_board_shows_only_todays_calls(client, org, hall, at_ten):
    """Before the first call of the day the board calls no one: yesterday's last number
    is not shown as the current call."""
    settings = actions.ensure_settings(org.a1)
    actions.take_number("kiosk:test", org.a1, hall.personal)
    actions.open_counter(org.agent_a1, hall.counters[3])
    actions.call_next(org.agent_a1, hall.counters[3])
    assert [c["number"] for c in live.board_state(org.a1)["calls"]] == ["A001"]
    at_ten(22 * 60)  # eight the next morning
    assert live.board_state(org.a1)["calls"] == []
    page = client.get(f"/q/board/{settings.board_key}/").content.decode()
    assert 'id="current-number">—<' in page and "A001" not in page  # a quiet dash


def test_the_counter_console_works_by_posts(client, login, org, hall, at_ten):
    actions.take_number("kiosk:test", org.a1, hall.personal)
    web = login(org.agent_a1)
    counter = hall.counters[1]
    page = web.get(f"/queues/counter/{counter.pk}/")
    assert 'id="open"' in page.content.decode()
    web.post(f"/queues/counter/{counter.pk}/open/")
    web.post(f"/queues/counter/{counter.pk}/next/")
    console = web.get(f"/queues/counter/{counter.pk}/").content.decode()
    assert "A001" in console and 'id="recall"' in console
    web.post(f"/queues/counter/{counter.pk}/transfer/", {"to": "B"})
    assert QueueTicket.objects.get().service == hall.business
    web.post(f"/queues/counter/{counter.pk}/next/")
    web.post(f"/queues/counter/{counter.pk}/finish/")
    assert QueueTicket.objects.get().status == "done"
    refused = web.post(f"/queues/counter/{counter.pk}/recall/", follow=True)
    assert "没有" in refused.content.decode() or "No number" in refused.content.decode()
    assert login(org.agent_b1).get(f"/queues/counter/{counter.pk}/").status_code == 404


def test_statistics_and_excel(login, org, hall, at_ten):
    from manyi.analytics.tests.test_spreadsheet import formula_elements
    from manyi.org.models import Staff

    Staff.objects.filter(user=org.agent_a1).update(name='=HYPERLINK("http://evil.example")')
    actions.open_counter(org.agent_a1, hall.counters[3])
    for minutes in (0, 1, 2):
        at_ten(minutes)
        actions.take_number("kiosk:test", org.a1, hall.personal)
    at_ten(10)
    actions.call_next(org.agent_a1, hall.counters[3])
    actions.start(org.agent_a1, hall.counters[3])
    at_ten(14)
    actions.finish(org.agent_a1, hall.counters[3])
    actions.call_next(org.agent_a1, hall.counters[3])
    actions.no_show(org.agent_a1, hall.counters[3])
    web = login(org.manager)
    page = web.get("/queues/stats/?branch=A1&start=2026-11-01&end=2026-11-30").content.decode()
    # waits of 10 and 13 minutes: a mean of 690 seconds, said in minutes
    assert 'id="heat"' in page and "11 分钟" in page and "690" not in page
    assert 'id="honesty"' in page  # how the waits told compare with the real ones
    export = web.get("/queues/stats.xlsx?branch=A1&start=2026-11-01&end=2026-11-30")
    book = openpyxl.load_workbook(io.BytesIO(export.content))
    tickets = list(book.worksheets[0].values)
    assert tickets[0][:3] == ("编号", "业务", "优先级") and len(tickets) == 3  # header and two
    assert {row[8] for row in tickets[1:]} == {"已办结", "过号"}  # outcomes in words
    assert tickets[1][3] == '=HYPERLINK("http://evil.example")'  # the staff name, as text
    assert formula_elements(export.content) == 0
    assert login(org.agent_a1).get("/queues/stats/").status_code == 403


def test_the_board_feed_under_asgi_streams_without_a_thread(org, hall, at_ten, monkeypatch):
    """Under uvicorn (ASGI) the feed is an async generator that awaits between polls; it
    sends the same calls, once, in order."""
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    settings = actions.ensure_settings(org.a1)
    actions.take_number("kiosk:test", org.a1, hall.personal)
    start = live.board_state(org.a1)["last_id"]
    actions.open_counter(org.agent_a1, hall.counters[3])
    actions.call_next(org.agent_a1, hall.counters[3])
    monkeypatch.setattr(live, "STREAM_SECONDS", 0.3)

    async def read(after: int) -> tuple[bool, str]:
        response = await AsyncClient().get(f"/q/board/{settings.board_key}/stream?after={after}")
        body = "".join([chunk.decode() async for chunk in response.streaming_content])
        return response.is_async, body

    is_async, body = async_to_sync(read)(start)
    assert is_async and body.startswith("retry: 1000")
    calls = [json.loads(line[6:]) for line in body.splitlines() if line.startswith("data: ")]
    assert [(c["number"], c["counter"], c["recall"]) for c in calls] == [("A001", 3, False)]
    _is_async, again = async_to_sync(read)(calls[-1]["id"])
    assert "data:" not in again


def test_a_kiosk_issuing_numbers_faster_than_a_rush_is_slowed(client, org, hall, monkeypatch):
    """Generous enough for a real rush (60 a minute by default), not for a script."""
    from manyi.core import ratelimit

    monkeypatch.setattr(ratelimit, "NUMBERS_PER_KIOSK", ratelimit.Limit("queues:kiosk", 3, 60))
    url = f"/q/kiosk/{actions.ensure_settings(org.a1).kiosk_key}/"
    assert [client.post(url, {"service": "A"}).status_code for _ in range(3)] == [200] * 3
    refused = client.post(url, {"service": "A"})
    assert refused.status_code == 429 and "请稍等" in refused.content.decode()
    assert QueueTicket.objects.count() == 3
