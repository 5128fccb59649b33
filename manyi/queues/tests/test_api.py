"""The queue API: numbers, counter steps with 409/403/404, the board."""

from __future__ import annotations

import pytest

from manyi.queues.models import QueueTicket

pytestmark = pytest.mark.django_db


def test_take_a_number_and_work_it_through_the_api(api, org, hall, at_ten):
    client = api(org.agent_a1)
    made = client.post("/queues/branches/A1/tickets", {"service": "A", "priority": "vip"})
    assert made.status_code == 201
    body = made.json()
    assert body["number"] == "A001" and body["priority"] == "vip"
    assert body["status_url"].startswith("http") and "/q/t/" in body["status_url"]
    counter = hall.counters[1].pk
    refused = client.post(f"/queues/counters/{counter}/actions/next", {})
    assert refused.status_code == 409  # not signed in at the counter
    assert client.post(f"/queues/counters/{counter}/actions/open", {}).status_code == 200
    called = client.post(f"/queues/counters/{counter}/actions/next", {}).json()
    assert called["ticket"]["number"] == "A001" and called["ticket"]["counter"] == 1
    assert client.post(f"/queues/counters/{counter}/actions/start", {}).status_code == 200
    again = client.post(f"/queues/counters/{counter}/actions/start", {})
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    moved = client.post(f"/queues/counters/{counter}/actions/transfer", {"to": "B"}).json()
    assert moved["ticket"]["service"] == "B" and moved["ticket"]["status"] == "waiting"
    state = client.get(f"/queues/tickets/{moved['ticket']['id']}").json()
    assert state["ahead"] == 0
    board = client.get("/queues/branches/A1/board").json()
    assert board["calls"][0]["number"] == "A001"
    assert client.post(f"/queues/counters/{counter}/actions/fly", {}).status_code == 404


def test_other_branches_and_missing_rights(api, org, hall, at_ten):
    assert (
        api(org.agent_b1).post("/queues/branches/A1/tickets", {"service": "A"}).status_code == 404
    )
    assert (
        api(org.agent_b1)
        .post(f"/queues/counters/{hall.counters[1].pk}/actions/open", {})
        .status_code
        == 404
    )
    analyst = api(org.analyst).post("/queues/branches/A1/tickets", {"service": "A"})
    assert analyst.status_code == 403
    assert not QueueTicket.objects.exists()
