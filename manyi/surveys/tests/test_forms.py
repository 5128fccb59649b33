"""The survey pages' forms: bad input is refused on the page in Chinese, with what was
typed still in the fields and nothing stored; the scripts' JSON posts are refused with a
clear answer, never a server error."""

from __future__ import annotations

import json

import pytest

from manyi.customers.models import Segment
from manyi.org.actions import SYSTEM
from manyi.surveys import actions
from manyi.surveys.models import CallAttempt, CallCase, CallList, Campaign, Feedback
from manyi.surveys.tests.test_metrics import answered  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db

CAMPAIGN = "/surveys/after_sales/campaigns/"


def _campaign_form(html: str) -> str:
    start = html.index('<details id="new-campaign"')
    return html[start : html.index("</details>", start)]


def test_a_campaign_with_a_word_for_a_number_keeps_what_was_typed(login, org, answered):  # noqa: F811
    segment = Segment.objects.create(name="全部", rules=[])
    page = login(org.manager).post(
        CAMPAIGN,
        {
            "name": "十二月回访",
            "segment": segment.pk,
            "channel": "email",
            "message": "{客户}您好：{链接}",
            "reminder_after_days": "三",
            "max_reminders": "2",
            "quota_by": "tier",
            "quota_per_cell": "5",
            "expires_at": "2099-01-31T18:00",
        },
    )
    assert page.status_code == 200 and not Campaign.objects.exists()
    form = _campaign_form(page.content.decode())
    assert '<details id="new-campaign" open>' in form
    assert "请输入整数" in form  # beside the field, in Chinese
    assert 'value="十二月回访"' in form and "{客户}您好：{链接}</textarea>" in form
    assert f'<option value="{segment.pk}" selected>' in form
    assert '<option value="email" selected>' in form and '<option value="tier" selected>' in form
    assert 'name="reminder_after_days" type="number" min="1" value="三"' in form
    assert 'value="2099-01-31T18:00"' in form and 'name="quota_per_cell"' in form


def test_a_campaign_the_action_refuses_says_why_above_the_form(login, org, answered):  # noqa: F811
    segment = Segment.objects.create(name="全部", rules=[])
    page = login(org.manager).post(
        CAMPAIGN,
        {"name": "没有链接的", "segment": segment.pk, "channel": "sms", "message": "您好"},
    )
    form = _campaign_form(page.content.decode())
    assert 'role="alert"' in form and "短信或邮件内容中必须包含 {链接}" in form
    assert 'value="没有链接的"' in form and ">您好</textarea>" in form
    assert not Campaign.objects.exists()


def test_the_page_shows_the_usual_defaults_before_anything_is_typed(login, org, answered):  # noqa: F811
    html = login(org.manager).get("/surveys/after_sales/").content.decode()
    form = _campaign_form(html)
    assert 'name="reminder_after_days" type="number" min="1" value="3"' in form
    assert 'name="max_reminders" type="number" min="0" value="1"' in form
    assert "{链接}</textarea>" in form and "errorlist" not in html
    assert 'name="size" type="number" min="1" value="100"' in html
    assert 'name="seed" type="number" min="0" value="2026"' in html


def test_a_call_list_with_a_bad_size_keeps_the_name(login, org, answered):  # noqa: F811
    segment = Segment.objects.create(name="全部", rules=[])
    client = login(org.manager)
    page = client.post(
        "/surveys/after_sales/calls/",
        {"name": "电话回访", "segment": segment.pk, "size": "十", "seed": "7"},
    )
    html = page.content.decode()
    assert page.status_code == 200 and not CallList.objects.exists()
    assert "请输入整数" in html and 'value="电话回访"' in html and 'name="seed"' in html
    none = client.post("/surveys/after_sales/calls/", {"name": "无客户群", "size": "3"})
    assert "请选择要邀请的客户群。" in none.content.decode() and not CallList.objects.exists()
    empty = client.post(
        "/surveys/after_sales/calls/", {"name": "零", "segment": segment.pk, "size": "0"}
    )
    assert "样本至少需要一位客户。" in empty.content.decode() and not CallList.objects.exists()


def _call_list(org, answered):  # noqa: F811
    """A call list of the one customer with a phone."""
    from manyi.customers import actions as customer_actions

    customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="回访客户", contacts=[("mobile", "13900000099")]
    )
    return actions.draw_call_list(
        SYSTEM,
        name="回访",
        questionnaire=answered,
        segment=Segment.objects.create(name="全部", rules=[]),
        size=1,
        seed=1,
    )


def test_a_callback_without_consent_or_time_keeps_the_note(login, org, answered):  # noqa: F811
    call_list = _call_list(org, answered)
    case = call_list.cases.get()
    client = login(org.manager)
    url = f"/surveys/calls/case/{case.pk}/outcome/"
    bad_time = client.post(
        url, {"outcome": "callback", "callback_at": "明天下午", "note": "客户在开会"}
    )
    html = bad_time.content.decode()
    assert bad_time.status_code == 200 and not CallAttempt.objects.exists()
    assert 'value="客户在开会"' in html and 'value="明天下午"' in html
    assert '<option value="callback" selected>' in html
    no_consent = client.post(
        url, {"outcome": "callback", "callback_at": "2099-01-05T10:00", "note": "请稍后再打"}
    )
    html = no_consent.content.decode()
    assert "请先征得客户同意回拨，并记录其同意。" in html and 'value="请稍后再打"' in html
    assert not CallAttempt.objects.exists()
    assert CallCase.objects.get(pk=case.pk).attempts == 0
    done = client.post(url, {"outcome": "busy", "note": "占线"})
    assert done.status_code == 302 and CallAttempt.objects.get().note == "占线"


def test_an_upload_without_a_workbook_is_refused_on_the_list(login, org, answered):  # noqa: F811
    page = login(org.manager).post("/surveys/", {})
    html = page.content.decode()
    assert page.status_code == 200 and 'class="errorlist"' in html
    assert html.index('id="upload-xlsform"') < html.index('class="errorlist"')


def test_a_link_with_an_unknown_channel_is_refused(login, org, answered):  # noqa: F811
    page = login(org.manager).post("/surveys/after_sales/links/", {"channel": "fax"})
    html = page.content.decode()
    assert page.status_code == 200 and "未知渠道 fax。" in html
    assert 'id="link"' not in html and 'id="new-link"' in html  # back on the form, no QR


def test_the_scripts_json_is_refused_cleanly(login, org, answered, client):  # noqa: F811
    widget = lambda body: client.post(  # noqa: E731
        "/feedback/widget", body, content_type="application/json"
    )
    assert widget("[1, 2]").status_code == 400
    assert widget("not json").json()["code"] == "invalid"
    assert widget(json.dumps({"branch": "nowhere", "text": "你好"})).status_code == 404
    unknown = widget(json.dumps({"branch": "A1", "text": "你好", "kind": "rant"}))
    assert unknown.status_code == 400 and unknown.json()["message"] == "未知的意见类型。"
    long = widget(json.dumps({"branch": "A1", "text": "长" * 3000, "contact": "1" * 200}))
    assert long.status_code == 201
    stored = Feedback.objects.get()
    assert len(stored.text) == 2000 and len(stored.contact) == 120 and stored.kind == "opinion"

    case = _call_list(org, answered).cases.get()
    staff = login(org.manager)
    url = f"/surveys/calls/case/{case.pk}/interview/"
    for body in ("nonsense", "[]", json.dumps({"answers": ["yes"]})):
        refused = staff.post(url, body, content_type="application/json")
        assert refused.status_code == 400 and refused.json()["code"] == "invalid", body
    assert CallCase.objects.get(pk=case.pk).state == "to_call"
