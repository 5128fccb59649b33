"""Honest closing: a demand declined with reasons (decided at the level the settings name),
a customer who cannot be reached after the configured attempts, and how both are reported."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from manyi.core import clock
from manyi.core.events import subscribed
from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.tickets import actions, reports
from manyi.tickets.events import TicketClosed
from manyi.tickets.models import ClosingOutcome, Proposal, ReasonCode, Settings, Status, Ticket

SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10) -> dt.datetime:
    """A working day in December 2026 (Tuesday 1st ... Friday 4th) in Shanghai."""
    return dt.datetime(2026, 12, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def reason(db):
    return ReasonCode.objects.create(code="Q01", name="收费争议")


@pytest.fixture
def customer(org):
    return customer_actions.create_customer(SYSTEM, branch=org.a1, name="赵强")


def complaint(org, customer, reason, when: dt.datetime | None = None) -> Ticket:
    with clock.as_of(when or at(1, 9)):
        ticket = actions.create_ticket(
            org.agent_a1,
            branch=org.a1,
            customer=customer,
            channel="phone",
            ticket_type="complaint",
            subject="要求退还全部年费",
            reason=reason,
        )
        actions.investigate(
            org.agent_a1, ticket, cause="年费已按合同告知", company_fault="no", severity=1
        )
    return Ticket.objects.get(pk=ticket.pk)


DECLINE = {
    "position": "年费按签约时告知的标准收取，不予退还；可免除下一年度年费的一半。",
    "reasons": "合同第5条约定了年费，签约时客户已签字确认；收费记录与约定一致。",
}


def test_an_agent_declines_and_a_supervisor_decides(
    org, customer, reason, django_capture_on_commit_callbacks
):
    ticket = complaint(org, customer, reason)
    closed = []
    with (
        subscribed(TicketClosed, lambda event, meta: closed.append(event), inline=True),
        django_capture_on_commit_callbacks(execute=True),
    ):
        proposal = actions.decline(org.agent_a1, ticket, **DECLINE)
        ticket.refresh_from_db()
        assert ticket.status == Status.AWAITING_APPROVAL and not ticket.outcome
        assert proposal.kind == Proposal.Kind.DECLINE and proposal.required_roles == ["supervisor"]
        assert proposal.reasons == DECLINE["reasons"] and proposal.position == DECLINE["position"]
        with pytest.raises(PermissionDenied):  # the agent may not decide it alone
            actions.approve(org.agent_a1, ticket)
        assert not closed
        actions.approve(org.supervisor_a1, ticket, comment="同意，理由充分")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.outcome == ClosingOutcome.DECLINED
    assert [e.outcome for e in closed] == ["declined"]


def test_a_supervisor_declines_at_once_and_the_level_is_configurable(org, customer, reason):
    ticket = complaint(org, customer, reason)
    actions.decline(org.supervisor_a1, ticket, **DECLINE)
    ticket.refresh_from_db()
    assert ticket.outcome == ClosingOutcome.DECLINED
    # With a manager named, the supervisor's decline waits for a manager.
    settings = Settings.current()
    actions.save_configuration(SYSTEM, settings, changes={"decline_role": "manager"})
    other = complaint(org, customer, reason, at(2, 9))
    proposal = actions.decline(org.supervisor_a1, other, **DECLINE)
    assert proposal.required_roles == ["manager"]
    with pytest.raises(PermissionDenied):
        actions.approve(org.supervisor_a1, other)
    actions.approve(org.manager, other)
    assert Ticket.objects.get(pk=other.pk).outcome == ClosingOutcome.DECLINED


def test_a_decline_needs_the_position_and_the_reasons(org, customer, reason):
    ticket = complaint(org, customer, reason)
    with pytest.raises(ValidationError):
        actions.decline(org.agent_a1, ticket, position="不退", reasons=" ")
    with pytest.raises(ValidationError):
        actions.decline(org.agent_a1, ticket, position="", reasons="合同约定")
    assert not ticket.proposals.exists()
    assert Ticket.objects.get(pk=ticket.pk).status == Status.INVESTIGATING


def test_a_rejected_decline_goes_back_for_a_resolution(org, customer, reason):
    ticket = complaint(org, customer, reason)
    actions.decline(org.agent_a1, ticket, **DECLINE)
    actions.reject(org.supervisor_a1, ticket, comment="客户是重点客户，给出补偿方案")
    ticket.refresh_from_db()
    assert ticket.status == Status.REJECTED and not ticket.outcome
    actions.propose(org.agent_a1, ticket, remedies=[{"kind": "apology", "amount": 0}])
    assert Ticket.objects.get(pk=ticket.pk).status == Status.PROPOSED


def test_a_declined_customer_who_comes_back_opens_a_linked_repeat(org, customer, reason):
    declined = complaint(org, customer, reason, dt.datetime(2026, 9, 1, 10, tzinfo=SHANGHAI))
    actions.decline(org.supervisor_a1, declined, **DECLINE)
    resolved_reason = ReasonCode.objects.create(code="Q02", name="服务态度")
    resolved = complaint(
        org, customer, resolved_reason, dt.datetime(2026, 9, 1, 11, tzinfo=SHANGHAI)
    )
    # Months later, well past the 7-day repeat window:
    again = complaint(org, customer, reason, at(1))
    assert again.repeat_of_id == declined.pk
    other = complaint(org, customer, resolved_reason, at(1, 11))
    assert other.repeat_of_id is None and resolved.outcome == ""


def _call(org, ticket, when, outcome="no_answer", direction="outbound"):
    actions.add_activity(
        org.agent_a1, ticket, kind="call", outcome=outcome, direction=direction, at=when
    )


def test_unreachable_after_the_attempts_over_the_business_days(org, customer, reason):
    ticket = complaint(org, customer, reason)
    _call(org, ticket, at(1, 10))
    _call(org, ticket, at(1, 15), "busy")
    with pytest.raises(actions.TransitionRefused, match="3"):
        actions.close_unreachable(org.agent_a1, ticket)
    _call(org, ticket, at(1, 16))  # three, but all on one day
    assert actions.unreachable_progress(ticket) == (3, 1)
    with pytest.raises(actions.TransitionRefused):
        actions.close_unreachable(org.agent_a1, ticket)
    _call(org, ticket, at(2, 10), "reached")  # reached: the count starts again
    assert actions.unreachable_progress(ticket) == (0, 0)
    for when in (at(2, 14), at(3, 10)):
        _call(org, ticket, when)
    _call(org, ticket, at(3, 11), "wrong_number")
    assert actions.unreachable_progress(ticket) == (3, 2)
    actions.close_unreachable(org.agent_a1, ticket, note="三次未接通，短信已告知")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED and ticket.outcome == ClosingOutcome.UNREACHABLE


def test_the_customer_calling_in_resets_the_count(org, customer, reason):
    ticket = complaint(org, customer, reason)
    for when in (at(1), at(2), at(3)):
        _call(org, ticket, when)
    _call(org, ticket, at(3, 15), "callback", direction="inbound")
    assert actions.unreachable_progress(ticket) == (0, 0)
    settings = Settings.current()
    actions.save_configuration(
        SYSTEM, settings, changes={"unreachable_attempts": 1, "unreachable_business_days": 1}
    )
    _call(org, ticket, at(4))
    actions.close_unreachable(org.agent_a1, ticket)
    assert Ticket.objects.get(pk=ticket.pk).outcome == ClosingOutcome.UNREACHABLE


def test_a_complaint_without_a_satisfied_customer_closes_only_honestly(org, customer, reason):
    ticket = complaint(org, customer, reason)
    with pytest.raises(actions.TransitionRefused):
        actions.close(org.agent_a1, ticket)


def test_declined_and_unreachable_are_reported_apart_and_count_against_fcr(org, customer, reason):
    declined = complaint(org, customer, reason)
    actions.decline(org.supervisor_a1, declined, **DECLINE)
    other = customer_actions.create_customer(SYSTEM, branch=org.a1, name="钱敏")
    unreachable = complaint(org, other, reason)
    actions.save_configuration(
        SYSTEM,
        Settings.current(),
        changes={"unreachable_attempts": 1, "unreachable_business_days": 1},
    )
    _call(org, unreachable, at(2))
    actions.close_unreachable(org.agent_a1, unreachable)
    third = customer_actions.create_customer(SYSTEM, branch=org.a1, name="孙丽")
    satisfied = complaint(org, third, reason)
    actions.propose(org.agent_a1, satisfied, remedies=[{"kind": "apology", "amount": 0}])
    actions.agree(org.agent_a1, satisfied, method="in_person")
    actions.follow_up(org.agent_a1, satisfied, satisfied=True)
    actions.close(org.agent_a1, satisfied)

    tickets = Ticket.objects.all()
    [row] = reports.closing_outcomes(tickets, "reason")
    assert (row["closed"], row["resolved"], row["declined"], row["unreachable"]) == (3, 1, 1, 1)
    assert row["not_satisfied"] == 2
    [fcr] = reports.first_contact_resolution(tickets, "reason")
    assert (fcr["closed"], fcr["first_contact"]) == (3, 1)


def test_the_api_takes_both_closings(api, org, customer, reason):
    ticket = complaint(org, customer, reason)
    answer = api(org.agent_a1).post(f"/tickets/{ticket.pk}/actions/decline", {"position": "不退"})
    assert answer.status_code == 422 and "reasons" in answer.json()["message"]
    answer = api(org.agent_a1).post(f"/tickets/{ticket.pk}/actions/decline", DECLINE)
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "awaiting_approval" and body["proposals"][-1]["kind"] == "decline"
    refused = api(org.agent_a1).post(f"/tickets/{ticket.pk}/actions/close_unreachable", {})
    assert refused.status_code == 409
    decided = api(org.supervisor_a1).post(f"/tickets/{ticket.pk}/actions/approve", {})
    assert decided.json()["outcome"] == "declined"
