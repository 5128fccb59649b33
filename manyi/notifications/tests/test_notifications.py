"""Every kind of notification: one per person and event, written by the subscribers on
the task workers, none twice, none lost when the worker dies between the event and its
delivery; e-mail alone or as digests as each person chose; the inbox behind the bell."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone, translation

from manyi.core import events
from manyi.core.events import emit
from manyi.core.models import EventDelivery
from manyi.customers import actions as customer_actions
from manyi.notifications import actions as notes
from manyi.notifications.kinds import headline
from manyi.notifications.mail import send_due_mail
from manyi.notifications.models import Kind, Notification
from manyi.org.actions import SYSTEM, create_staff
from manyi.org.models import Department
from manyi.surveys.events import LowScoreGiven
from manyi.tickets import actions
from manyi.tickets.models import ReasonCode, Ticket
from manyi.tickets.sla import escalate_breaches
from manyi.tickets.subscribers import warn_due_soon

# Real commits: each step's commit hands its deliveries to the workers (in-process here).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def run_workers():
    """Documents that the test relies on deliveries after each commit."""
    yield


@pytest.fixture
def desk(org):
    ReasonCode.objects.create(code="P01", name="产品故障")
    warehouse = Department.objects.create(
        company=org.company, branch=org.a1, kind="warehouse", name="仓库"
    )
    keeper = create_staff(
        SYSTEM,
        username="keeper",
        name="库管员",
        role="agent",
        branches=[org.a1],
        department=warehouse,
    )
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="王芳")
    return {"warehouse": warehouse, "keeper": keeper, "customer": customer}


def _ticket(org, desk, by=None) -> Ticket:
    ticket = actions.create_ticket(
        by or org.agent_a1,
        branch=org.a1,
        customer=desk["customer"],
        channel="phone",
        ticket_type="complaint",
        subject="洗衣机漏水",
        reason="P01",
    )
    actions.investigate(org.agent_a1, ticket, cause="密封圈老化", severity=2)
    return Ticket.objects.get(pk=ticket.pk)


def _propose(org, desk, ticket, amount=500):
    remedy = {"kind": "replacement", "amount": amount, "department": desk["warehouse"].pk}
    actions.propose(org.agent_a1, ticket, remedies=[remedy])


def _of(user, kind=None):
    found = Notification.objects.filter(recipient=user.staff)
    return list(found.filter(kind=kind) if kind else found)


def test_assigned_to_me_and_not_when_i_take_it_myself(org, desk, run_workers):
    ticket = actions.create_ticket(
        org.manager,
        branch=org.a1,
        customer=desk["customer"],
        channel="phone",
        ticket_type="complaint",
        subject="柜台态度差",
    )
    actions.assign(org.manager, ticket, assignee=org.agent_a1.staff)
    [note] = _of(org.agent_a1, Kind.ASSIGNED)
    assert note.url == f"/tickets/{ticket.pk}/" and note.params["number"] == ticket.number
    other = _ticket(org, desk)  # registered by the agent: theirs, and nobody is told
    actions.assign(org.agent_a1, other, assignee=org.agent_a1.staff)
    assert len(_of(org.agent_a1, Kind.ASSIGNED)) == 1


def test_an_assignment_rule_at_registration_tells_the_person(org, desk, run_workers):
    from manyi.tickets.models import AssignmentRule

    rule = actions.save_configuration(
        SYSTEM,
        AssignmentRule(name="一支行投诉", branch=org.a1, strategy="round_robin"),
        many={"pool": [org.supervisor_a1.staff]},
    )
    assert rule.pk
    ticket = _ticket(org, desk)  # registered by the agent, given to the supervisor by the rule
    assert ticket.assignee == org.supervisor_a1.staff
    [note] = _of(org.supervisor_a1, Kind.ASSIGNED)
    assert note.params["number"] == ticket.number and not _of(org.agent_a1, Kind.ASSIGNED)


def test_waiting_for_my_approval_then_decided(org, desk, run_workers):
    ticket = _ticket(org, desk)
    _propose(org, desk, ticket)
    [waiting] = _of(org.supervisor_a1, Kind.APPROVAL_NEEDED)
    assert waiting.params["total"] == "500.00" and not waiting.params["decline"]
    assert _of(org.manager, Kind.APPROVAL_NEEDED)  # a higher level may stand in
    assert not _of(org.agent_a1)  # the proposer is not told about their own proposal
    with translation.override("zh-hans"):
        assert headline(waiting) == f"{ticket.number} 等待您审批：¥500.00 的处理方案"
    with translation.override("en"):
        assert (
            headline(waiting) == f"{ticket.number} waits for your approval: a resolution of ¥500.00"
        )
    actions.approve(org.supervisor_a1, ticket, comment="同意换新")
    [decided] = _of(org.agent_a1, Kind.DECIDED)
    assert decided.params["approved"] and decided.params["comment"] == "同意换新"
    assert decided.params["by"] == org.supervisor_a1.staff.name


def test_rejected_and_a_decline_waiting(org, desk, run_workers):
    ticket = _ticket(org, desk)
    _propose(org, desk, ticket)
    actions.reject(org.supervisor_a1, ticket, comment="金额偏高")
    [decided] = _of(org.agent_a1, Kind.DECIDED)
    assert not decided.params["approved"] and decided.params["comment"] == "金额偏高"
    actions.decline(org.agent_a1, ticket, position="不予更换", reasons="已过保修期")
    decline = [n for n in _of(org.supervisor_a1, Kind.APPROVAL_NEEDED) if n.params["decline"]]
    assert len(decline) == 1


def test_an_order_sent_to_my_department(org, desk, run_workers):
    ticket = _ticket(org, desk)
    _propose(org, desk, ticket, amount=100)  # within the agent's limit
    actions.agree(org.agent_a1, ticket, method="in_person")
    [order] = Notification.objects.filter(recipient=desk["keeper"], kind=Kind.ORDER_SENT)
    assert order.params["order"] == "仓库 · 换货 ¥100.00"


def test_about_to_breach_once_per_deadline_and_breached(org, desk, run_workers):
    ticket = _ticket(org, desk)
    due = ticket.resolution_due
    Ticket.objects.filter(pk=ticket.pk).update(first_responded_at=timezone.now())
    # Just inside the warning lead (two business hours by default), in business time.
    ticket.refresh_from_db()
    from manyi.businesstime.services import calendar_for_branch

    calendar = calendar_for_branch(ticket.branch)
    before = due - dt.timedelta(minutes=1)
    while calendar.seconds_between(before, due) < 90 * 60:
        before -= dt.timedelta(minutes=15)
    assert warn_due_soon(before) == 1
    assert warn_due_soon(before + dt.timedelta(minutes=5)) == 0  # the same deadline
    [soon] = _of(org.agent_a1, Kind.DUE_SOON)
    assert 90 <= soon.params["minutes"] <= 120
    escalate_breaches(due + dt.timedelta(hours=1))
    assert len(_of(org.agent_a1, Kind.BREACHED)) == 1


def test_a_low_score_from_a_customer_i_look_after(org, desk, run_workers):
    customer = desk["customer"]
    customer.account_manager = org.agent_a1.staff
    customer.save(update_fields=["account_manager"])
    with transaction.atomic():
        emit(
            LowScoreGiven(
                response_id=1,
                questionnaire="bank_branch",
                customer_id=customer.pk,
                branch_id=org.a1.pk,
                agent_id=None,
                campaign_id=None,
                channel="sms",
                scores=({"question": "总体满意度", "value": 2, "at_most": 3},),
            )
        )
    [low] = _of(org.agent_a1, Kind.LOW_SCORE)
    assert low.params["customer"] == "王芳" and low.url == f"/customers/{customer.pk}/"


def test_one_notification_per_event_even_when_delivered_again(org, desk, run_workers):
    ticket = _ticket(org, desk)
    _propose(org, desk, ticket)
    delivery = EventDelivery.objects.filter(subscriber__endswith="tell_who_must_act").last()
    EventDelivery.objects.filter(pk=delivery.pk).update(status="pending")  # a retry
    events.deliver(delivery.pk)
    assert len(_of(org.supervisor_a1, Kind.APPROVAL_NEEDED)) == 1
    source = _of(org.supervisor_a1)[0].source
    assert (
        notes.notify([org.supervisor_a1.staff], Kind.APPROVAL_NEEDED, source=source, params={}) == 0
    )


def test_none_lost_when_the_worker_dies_before_delivering(org, desk, monkeypatch, run_workers):
    with monkeypatch.context() as dead:
        dead.setattr(events, "enqueue", lambda *args, **kwargs: None)  # the worker is gone
        ticket = _ticket(org, desk)
        _propose(org, desk, ticket)
        assert not _of(org.supervisor_a1)
    # After the restart the sweeper finds the deliveries that are due and hands them out.
    EventDelivery.objects.filter(status="pending").update(due_at=timezone.now())
    events.sweep_deliveries()
    events.sweep_deliveries()
    assert len(_of(org.supervisor_a1, Kind.APPROVAL_NEEDED)) == 1


def _with_email(user, address="li@example.com"):
    user.email = address
    user.save(update_fields=["email"])


def test_single_emails_for_the_chosen_kinds_only(org, desk, run_workers):
    _with_email(org.supervisor_a1)
    notes.save_preference(org.supervisor_a1, email_kinds=["approval_needed"], digest="single")
    mail.outbox.clear()
    ticket = _ticket(org, desk)
    actions.assign(org.manager, ticket, assignee=org.supervisor_a1.staff)  # not chosen
    _propose(org, desk, ticket)
    assert [m.to for m in mail.outbox] == [["li@example.com"]]
    assert ticket.number in mail.outbox[0].subject and "/open/" in mail.outbox[0].body
    assert send_due_mail() == 0  # nothing twice


def test_hourly_digests(org, desk, run_workers):
    _with_email(org.supervisor_a1)
    notes.save_preference(org.supervisor_a1, email_kinds=list(Kind.values), digest="hourly")
    first, second, third = _ticket(org, desk), _ticket(org, desk), _ticket(org, desk)
    mail.outbox.clear()
    _propose(org, desk, first)  # the first digest goes at once
    assert len(mail.outbox) == 1 and first.number in mail.outbox[0].body
    _propose(org, desk, second)
    _propose(org, desk, third)
    now = timezone.now()
    assert send_due_mail(now + dt.timedelta(minutes=10)) == 0  # within the hour
    assert len(mail.outbox) == 1
    assert send_due_mail(now + dt.timedelta(minutes=61)) == 1
    digest = mail.outbox[-1]
    assert second.number in digest.body and third.number in digest.body
    assert first.number not in digest.body and "2" in digest.subject


def test_no_email_address_no_email_preference(org):
    with pytest.raises(Exception, match=r"电子邮件|e-mail"), translation.override("zh-hans"):
        notes.save_preference(org.agent_a1, email_kinds=["assigned"], digest="single")


def test_the_bell_the_inbox_and_read_on_open(org, desk, client, run_workers):
    ticket = _ticket(org, desk)
    _propose(org, desk, ticket)
    client.force_login(org.supervisor_a1)
    page = client.get("/tickets/").content.decode()
    assert 'data-badge="inbox">3<' not in page and 'data-badge="inbox">1<' in page
    inbox = client.get("/notifications/").content.decode()
    assert ticket.number in inbox and 'class="unread"' in inbox
    note = _of(org.supervisor_a1)[0]
    answer = client.get(f"/notifications/{note.pk}/open/")
    assert answer.status_code == 302 and answer["Location"] == "/tickets/approvals/"
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'data-badge="inbox"' not in client.get("/tickets/").content.decode()
    # Someone else's notification cannot be opened.
    client.force_login(org.agent_a1)
    assert client.get(f"/notifications/{note.pk}/open/").status_code == 404


def test_the_settings_page(org, client):
    _with_email(org.agent_a1, "wang@example.com")
    client.force_login(org.agent_a1)
    page = client.get("/notifications/settings/").content.decode()
    assert "wang@example.com" in page
    answer = client.post(
        "/notifications/settings/", {"email_kinds": ["assigned", "due_soon"], "digest": "daily"}
    )
    assert answer.status_code == 302
    preference = org.agent_a1.staff.notification_preference
    assert preference.email_kinds == ["assigned", "due_soon"] and preference.digest == "daily"
