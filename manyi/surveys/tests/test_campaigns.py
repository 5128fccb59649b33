"""Campaigns: invitations to a segment by SMS or e-mail, reminders to non-responders only,
opt-outs honoured, quotas that stop new answers, and the response rate."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from manyi.analytics.tests.test_xlsform import workbook
from manyi.customers import actions as customer_actions
from manyi.customers.models import Segment
from manyi.org.actions import SYSTEM
from manyi.surveys import actions, channels, reading
from manyi.surveys.actions import campaigns
from manyi.surveys.models import Invitation, OptOut, Response

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting(org, tmp_path):
    path = workbook(tmp_path / "after_sales.xlsx")
    version, _ = actions.import_xlsform(SYSTEM, content=path.read_bytes(), file_name=path.name)

    def customer(name: str, tier: str, phone: str = "", email: str = ""):
        contacts = [("mobile", phone)] if phone else []
        contacts += [("email", email)] if email else []
        made = customer_actions.create_customer(SYSTEM, branch=org.a1, name=name, contacts=contacts)
        made.tier = tier
        made.save(update_fields=["tier"])
        return made

    people = {
        "answers": customer("王一", "vip", "13900000001", "wang1@example.com"),
        "opted_out": customer("王二", "vip", "13900000002"),
        "no_phone": customer("王三", "vip"),
        "silent": customer("王四", "vip", "13900000004", "wang4@example.com"),
        "ordinary": customer("王五", "ordinary", "13900000005"),
    }
    OptOut.objects.create(customer=people["opted_out"], source="earlier survey")
    segment = Segment.objects.create(
        name="VIP", rules=[{"field": "tier", "op": "eq", "value": "vip"}]
    )
    channels.console_outbox.clear()
    return version.questionnaire, segment, people


def _token(text: str) -> str:
    return re.search(r"/s/([^/\s]+)/", text).group(1)


def _answer(token: str, key: str) -> None:
    actions.submit(token, {"visited": "no", "why_not": "没时间"}, submission_key=key)


def test_invite_remind_only_the_silent_and_count_the_rate(setting, org):
    questionnaire, segment, people = setting
    campaign = actions.create_campaign(
        org.manager,
        name="VIP 回访",
        questionnaire=questionnaire,
        segment=segment,
        channel="sms",
        message="{客户}您好，请评价我们的服务：{链接}",
        reminder_after_days=3,
    )
    counts = actions.launch_campaign(org.manager, campaign)
    assert counts == {"sent": 2, "failed": 0, "opted_out": 1, "no_address": 1}
    sent = {sms.phone: sms.text for sms in channels.console_outbox}
    assert set(sent) == {"13900000001", "13900000004"}  # not the opted-out, not the ordinary
    assert sent["13900000001"].startswith("王一您好")
    _answer(_token(sent["13900000001"]), "answer-001")

    later = timezone.now() + dt.timedelta(days=4)
    channels.console_outbox.clear()
    assert actions.send_reminders(later) == 1
    assert [sms.phone for sms in channels.console_outbox] == ["13900000004"]  # only the silent
    assert actions.send_reminders(later + dt.timedelta(days=4)) == 0  # one reminder at most
    reminder_token = _token(channels.console_outbox[0].text)
    assert actions.open_link(reminder_token).customer == people["silent"]
    first_token = _token(sent["13900000004"])
    assert actions.open_link(first_token) == actions.open_link(reminder_token)  # both work
    assert reading.response_rate(campaign) == {
        "invited": 4,
        "sent": 2,
        "responses": 1,
        "rate": 50.0,
    }
    assert actions.launch_campaign(org.manager, campaign) == {
        "sent": 0,
        "failed": 0,
        "opted_out": 0,
        "no_address": 0,
    }  # launching again invites nobody twice


def test_a_full_quota_stops_new_answers_and_email_invitations(setting, org):
    questionnaire, segment, _people = setting
    campaign = actions.create_campaign(
        SYSTEM,
        name="VIP 邮件",
        questionnaire=questionnaire,
        segment=segment,
        channel="email",
        message="Dear {name}, please answer: {link}",
        quota_by="tier",
        quota_per_cell=1,
    )
    actions.launch_campaign(SYSTEM, campaign)
    assert sorted(m.to[0] for m in mail.outbox) == ["wang1@example.com", "wang4@example.com"]
    tokens = {m.to[0]: _token(m.body) for m in mail.outbox}
    _answer(tokens["wang1@example.com"], "answer-002")
    with pytest.raises(actions.LinkUnusable) as full:
        reading.version_for(actions.open_link(tokens["wang4@example.com"]))
    assert full.value.code == "quota_full"
    with pytest.raises(actions.LinkUnusable, match=r"all the answers|样本已经足够"):
        _answer(tokens["wang4@example.com"], "answer-003")
    assert Response.objects.filter(campaign=campaign).count() == 1
    statuses = list(Invitation.objects.filter(campaign=campaign).values_list("status", flat=True))
    assert sorted(statuses) == ["no_address", "opted_out", "sent", "sent"]


def test_opting_out_from_a_link_and_a_message_without_a_link_is_refused(setting, org):
    questionnaire, segment, people = setting
    with pytest.raises(Exception, match=r"链接|link"):
        actions.create_campaign(
            org.manager,
            name="无链接",
            questionnaire=questionnaire,
            segment=segment,
            channel="sms",
            message="您好",
        )
    _link, token = actions.create_link(SYSTEM, questionnaire, customer=people["silent"])
    actions.opt_out(token)
    assert OptOut.objects.filter(customer=people["silent"]).exists()


def test_campaigns_through_the_api(setting, org, api):
    _questionnaire, segment, _people = setting
    manager = api(org.manager)
    made = manager.post(
        "/surveys/campaigns",
        {
            "name": "VIP 短信",
            "questionnaire": "after_sales",
            "segment_id": segment.pk,
            "channel": "sms",
            "message": "{客户}您好：{链接}",
        },
    )
    assert made.status_code == 201, made.json()
    campaign_id = made.json()["id"]
    launched = manager.post(f"/surveys/campaigns/{campaign_id}/launch")
    assert launched.json()["sent"] == 2
    token = _token(channels.console_outbox[0].text)
    assert api(None).post(f"/surveys/s/{token}/opt-out").json() == {"opted_out": True}
    detail = manager.get(f"/surveys/campaigns/{campaign_id}").json()
    assert detail | {"id": 0} == {
        "id": 0,
        "name": "VIP 短信",
        "state": "running",
        "invited": 4,
        "sent": 2,
        "responses": 0,
        "rate": 0.0,
    }


def test_a_full_cell_diverts_to_the_short_questionnaire(setting, org, tmp_path):
    questionnaire, segment, _people = setting
    short_path = workbook(tmp_path / "short.xlsx")
    short, _ = actions.import_xlsform(
        SYSTEM, content=short_path.read_bytes(), file_name=short_path.name, code="short"
    )
    with pytest.raises(Exception, match=r"quota|配额"):
        actions.create_campaign(
            SYSTEM,
            name="divert without quota",
            questionnaire=questionnaire,
            segment=segment,
            channel="email",
            message="{link}",
            divert_to=short.questionnaire,
        )
    campaign = actions.create_campaign(
        SYSTEM,
        name="VIP 邮件",
        questionnaire=questionnaire,
        segment=segment,
        channel="email",
        message="Dear {name}, please answer: {link}",
        quota_by="tier",
        quota_per_cell=1,
        divert_to=short.questionnaire,
    )
    actions.launch_campaign(SYSTEM, campaign)
    tokens = {m.to[0]: _token(m.body) for m in mail.outbox}
    _answer(tokens["wang1@example.com"], "answer-010")
    link = actions.open_link(tokens["wang4@example.com"])
    assert reading.version_for(link).questionnaire == short.questionnaire
    _answer(tokens["wang4@example.com"], "answer-011")
    stored = Response.objects.get(submission_key="answer-011")
    assert stored.questionnaire == short.questionnaire and stored.campaign == campaign
    assert reading.response_rate(campaign)["responses"] == 2
    assert Response.objects.filter(campaign=campaign, questionnaire=questionnaire).count() == 1


def test_a_large_campaign_is_sent_by_a_worker(
    setting, org, monkeypatch, django_capture_on_commit_callbacks
):
    questionnaire, segment, _people = setting
    monkeypatch.setattr(campaigns, "INLINE_INVITATIONS", 1)
    campaign = actions.create_campaign(
        SYSTEM,
        name="VIP 短信",
        questionnaire=questionnaire,
        segment=segment,
        channel="sms",
        message="{链接}",
    )
    with django_capture_on_commit_callbacks() as on_commit:
        assert actions.launch_campaign(org.manager, campaign) == {"queued": 4}
    assert channels.console_outbox == []  # nothing sent in the request
    [send] = on_commit
    send()  # the task queue (synchronous in tests) runs send_invitations
    assert len(channels.console_outbox) == 2
    assert Invitation.objects.filter(campaign=campaign).count() == 4
    again = actions.send_invitations(campaign.pk, org.manager.pk)  # a retried task
    assert again == {"sent": 0, "failed": 0, "opted_out": 0, "no_address": 0}
