"""Listening posts: the widget, comment cards, imported posts and reviews, in one store,
each able to become a ticket in one click."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from manyi.surveys.models import Feedback
from manyi.tickets.models import Ticket

pytestmark = pytest.mark.django_db

POSTS = (
    "编号,平台,昵称,内容,发布时间,评分\n"
    "wb-1,微博,@小王爱理财,和信银行上海一支行排队两小时，太慢了,2026-11-20 09:30,1\n"
    "wb-2,微博,@李姐,大堂经理很热情,2026-11-21 10:00,5\n"
    "wb-3,微博,@空白,,2026-11-21 11:00,\n"
).encode("gb18030")


def test_widget_cards_and_imported_posts_in_one_store(api, org, client):
    sent = _widget(client, {"branch": "A1", "text": "网站转账页面打不开", "contact": "13800000000"})
    assert sent.status_code == 201 and sent["Access-Control-Allow-Origin"] == "*"
    assert _widget(client, {"branch": "ZZ", "text": "x"}).status_code == 404
    assert _widget(client, {"branch": "A1", "text": "  "}).status_code == 400
    preflight = client.options("/feedback/widget")
    assert preflight.status_code == 204 and "POST" in preflight["Access-Control-Allow-Methods"]
    card = api(org.agent_a1).post(
        "/surveys/feedback",
        {"source": "paper", "text": "希望增加老年人专用窗口", "kind": "suggestion", "branch": "A1"},
    )
    assert card.status_code == 201
    upload = SimpleUploadedFile("weibo.csv", POSTS, content_type="text/csv")
    headers = api(org.manager).headers
    imported = client.post(
        "/api/v1/surveys/feedback/import", {"file": upload, "source": "social"}, headers=headers
    )
    assert imported.json() == {"created": 2, "duplicates": 0, "empty": 1}
    again = client.post(
        "/api/v1/surveys/feedback/import",
        {"file": SimpleUploadedFile("weibo.csv", POSTS), "source": "social"},
        headers=headers,
    )
    assert again.json() == {"created": 0, "duplicates": 2, "empty": 1}  # nothing twice
    post = Feedback.objects.get(external_id="wb-1")
    assert (post.platform, post.author, post.rating) == ("微博", "@小王爱理财", 1)
    assert {f.source for f in Feedback.objects.all()} == {"widget", "paper", "social"}


def _widget(client, body: dict):
    import json

    return client.post("/feedback/widget", json.dumps(body), content_type="application/json")


def test_one_click_to_a_ticket(api, org, client):
    _widget(client, {"branch": "A1", "text": "取款机吞卡了，没人处理"})
    feedback = Feedback.objects.get()
    opened = api(org.agent_a1).post(f"/surveys/feedback/{feedback.pk}/ticket")
    assert opened.status_code == 200, opened.json()
    ticket = Ticket.objects.get(pk=opened.json()["id"])
    assert ticket.channel == "web" and ticket.branch == org.a1 and "吞卡" in ticket.subject
    assert (
        api(org.agent_a1).post(f"/surveys/feedback/{feedback.pk}/ticket").json()["id"] == ticket.pk
    )
    assert api(org.agent_b1).post(f"/surveys/feedback/{feedback.pk}/ticket").status_code == 404
