"""Where anyone on the internet can knock, a script is slowed down and a person is not."""

from __future__ import annotations

import json

import pytest

from manyi.core import ratelimit

pytestmark = pytest.mark.django_db


def test_the_public_feedback_widget_is_rate_limited_per_address(org, client):
    def post():
        return client.post(
            "/feedback/widget",
            json.dumps({"branch": "A1", "text": "服务很好，谢谢"}),
            content_type="application/json",
        )

    statuses = [post().status_code for _ in range(ratelimit.FEEDBACK_PER_ADDRESS.times)]
    assert set(statuses) == {201}
    refused = post()
    assert refused.status_code == 429 and "请求过多" in refused.json()["message"]
    assert refused["Access-Control-Allow-Origin"] == "*"


def test_guessing_survey_tokens_is_stopped_per_address(org, api, client):
    anonymous = api(None)
    for n in range(ratelimit.BAD_TOKENS_PER_ADDRESS.times):
        assert anonymous.get(f"/surveys/s/guess{n:04d}").status_code == 404
    assert anonymous.get("/surveys/s/guess-again").status_code == 429
    assert client.get("/s/guess-again/").status_code == 429


def test_spraying_passwords_across_user_names_is_stopped(org, client, settings):
    from conftest import PASSWORD

    settings.AXES_ENABLED = True
    for n in range(ratelimit.FAILED_LOGINS_PER_ADDRESS.times):
        answer = client.post("/login/", {"username": f"nobody{n}", "password": "wrong"})
        assert answer.status_code == 200
    blocked = client.post("/login/", {"username": "admin", "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert "15 分钟" in blocked.content.decode()


def test_pages_for_staff_are_never_cached(org, login):
    answer = login(org.manager).get("/customers/")
    assert "no-store" in answer["Cache-Control"] and "private" in answer["Cache-Control"]


def test_a_retried_registration_makes_one_ticket(org, api):
    from manyi.customers import actions as customer_actions
    from manyi.org.actions import SYSTEM
    from manyi.tickets.models import Ticket

    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="周九")
    client = api(org.manager)
    body = {"branch": "A1", "customer_id": customer.pk, "channel": "phone", "subject": "重试"}
    first = client.post("/tickets", body, headers={"Idempotency-Key": "reg-0001"})
    again = client.post("/tickets", body, headers={"Idempotency-Key": "reg-0001"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and Ticket.objects.count() == 1
    other = client.post("/tickets", body, headers={"Idempotency-Key": "reg-0002"})
    assert other.status_code == 201 and Ticket.objects.count() == 2
    # another person's key is theirs: the same text makes their own ticket
    assert api(org.admin).post("/tickets", body, headers={"Idempotency-Key": "reg-0001"})
    assert Ticket.objects.count() == 3
    assert client.post("/tickets", body).status_code == 201  # no key: a new ticket each time
