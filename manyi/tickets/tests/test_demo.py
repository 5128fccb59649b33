"""The demo's year of tickets went through the real actions, each step at its own time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import F
from django.utils import timezone

from manyi.core.demo import run_demo
from manyi.org.models import AuditEntry
from manyi.tickets import reports
from manyi.tickets.models import Activity, Approval, ExecutionOrder, Promise, Status, Ticket

pytestmark = pytest.mark.django_db


def test_a_year_of_tickets_with_approvals_repeats_reopens_and_breaches():
    run_demo(
        seed=3,
        log=lambda line: None,
        overrides={"customers": 400, "tickets": 300, "survey": 200, "survey_responses": 20},
    )
    tickets = Ticket.objects.all()
    assert tickets.count() == 300
    now = timezone.now()
    oldest = tickets.order_by("created_at").first().created_at
    assert now - oldest > dt.timedelta(days=300)  # spread over the year, not loaded "now"
    # Every step is recorded at its own time, after the ticket was registered.
    assert not Activity.objects.filter(at__lt=F("ticket__created_at")).exists()
    assert AuditEntry.objects.filter(action="tickets.close", at__lt=now - dt.timedelta(days=200))
    # The whole procedure occurs, with its awkward cases.
    assert tickets.filter(status=Status.CLOSED, ticket_type="complaint").count() > 100
    assert tickets.filter(status=Status.CLOSED).exclude(ticket_type="complaint").count() > 50
    assert tickets.exclude(status=Status.CLOSED).exists()  # the recent backlog
    assert tickets.filter(escalation_level__gt=0).exclude(status=Status.CLOSED).exists()
    roles = set(Approval.objects.filter(approved=True).values_list("role", flat=True))
    assert {"supervisor", "department_head"} <= roles
    assert Approval.objects.filter(approved=False).exists()  # rejected, then proposed again
    assert ExecutionOrder.objects.filter(state="done").exists()
    assert tickets.filter(reopened_count__gt=0).exists()  # not satisfied at follow-up
    repeats = tickets.exclude(repeat_of=None)
    assert repeats.exists() and repeats.exclude(repeat_cause="").exists()
    late = tickets.filter(first_responded_at__gt=F("first_response_due"))
    assert late.exists() and late.count() < tickets.count() / 4
    kept = [p.kept for p in Promise.objects.exclude(kept_at=None)]
    assert True in kept and False in kept  # promises kept, and some broken
    assert reports.repeats(tickets, None, None)
    by_agent = reports.first_contact_resolution(tickets, "agent")
    assert by_agent and all(row["rate"] is None or 0 <= row["rate"] <= 1 for row in by_agent)
    # First-contact resolution is plausible for every reason with enough tickets: some
    # customers chase, reopen or come back, most do not.
    by_reason = [
        row
        for row in reports.first_contact_resolution(tickets, "reason")
        if row["closed"] >= 15 and row["key"] is not None
    ]
    assert by_reason and all(0.3 < row["rate"] < 0.97 for row in by_reason), by_reason
    # Honest closings: some demands declined with reasons (a supervisor decided), some
    # customers never reached; reported apart from the resolved ones.
    outcomes = set(tickets.values_list("outcome", flat=True))
    assert {"resolved", "declined", "unreachable"} <= outcomes
    declined = tickets.filter(outcome="declined")
    assert all(t.proposals.filter(kind="decline", state="approved").exists() for t in declined)
    rows = reports.closing_outcomes(tickets, "branch")
    assert sum(r["declined"] + r["unreachable"] for r in rows) == (
        tickets.filter(outcome__in=["declined", "unreachable"]).count()
    )
    # The events reached their listeners: the people were told, dated when it happened,
    # and what is more than a week old is filed as read.
    from manyi.core.models import EventDelivery
    from manyi.notifications.models import Notification

    assert not EventDelivery.objects.filter(status="pending").exists()
    told = Notification.objects.all()
    assert told.filter(kind="decided").exists() and told.filter(kind="breached").exists()
    # (a proposal decided before its event was delivered waits for no one: no notice)
    for waiting in tickets.filter(status=Status.AWAITING_APPROVAL):
        assert told.filter(kind="approval_needed", params__number=waiting.number).exists()
    assert told.filter(created_at__lt=now - dt.timedelta(days=30)).exists()
    assert not told.filter(created_at__lt=now - dt.timedelta(days=8), read_at__isnull=True)
