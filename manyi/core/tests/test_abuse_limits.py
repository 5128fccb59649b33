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
