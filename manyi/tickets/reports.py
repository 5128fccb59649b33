"""Reports on contacts: repeats and first-contact resolution (seed 004 "源头锁定").

First-contact resolution (FCR), as the industry defines it: the customer did not need to
contact us again about the same matter. A closed ticket counts when it was never reopened,
no later contact of the same customer on the same reason within the repeat window was
linked to it as a repeat, and the customer made no further contact about it after the first
(an inbound call or visit recorded on the ticket). Our own calls and visits to investigate,
answer or follow up do not count against it. The rate is that count over the tickets closed
in the period. A ticket closed without a satisfied customer (declined with reasons, the
customer unreachable, merged) was not resolved, so it counts against the rate.

"Solved in one touch" is the stricter figure kept beside it: FCR with at most one call or
visit on the ticket in either direction (a complaint that is investigated and then answered
takes two, so it rarely counts).

Promises (seed 001 expectation management: promise 8 minutes, arrive in 5): kept when the
promised thing happened by the promised time, broken when it happened late or not at all
by now, open while its time has not come.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Activity, ClosingOutcome, Status, Ticket

GROUPS = {
    "agent": ("assignee_id", "assignee__name"),
    "branch": ("branch_id", "branch__name"),
    "reason": ("reason_id", "reason__name"),
}


def _period(tickets: QuerySet[Ticket], since: dt.datetime | None, until: dt.datetime | None):
    if since:
        tickets = tickets.filter(created_at__gte=since)
    if until:
        tickets = tickets.filter(created_at__lt=until)
    return tickets


def repeats(
    tickets: QuerySet[Ticket], since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Every repeat contact with the contact it repeats and why that one did not solve it."""
    rows = (
        _period(tickets, since, until)
        .filter(repeat_of__isnull=False)
        .select_related("repeat_of", "reason", "customer", "branch", "repeat_of__assignee")
        .order_by("-created_at")
    )
    return [
        {
            "number": t.number,
            "created_at": t.created_at,
            "customer": t.customer.name,
            "branch": t.branch.code,
            "reason": t.reason.path() if t.reason_id else "",
            "first_number": t.repeat_of.number,
            "first_created_at": t.repeat_of.created_at,
            "first_status": t.repeat_of.status,
            "first_assignee": t.repeat_of.assignee.name if t.repeat_of.assignee_id else "",
            "days_between": (t.created_at - t.repeat_of.created_at).days,
            "why": t.repeat_cause,
        }
        for t in rows
    ]


def first_contact_resolution(
    tickets: QuerySet[Ticket],
    by: str,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """FCR rate per agent, branch or reason, over the tickets closed in the period."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    key, label = GROUPS[by]
    repeated = Ticket.objects.filter(repeat_of=OuterRef("pk"))
    touches = Activity.objects.filter(
        ticket=OuterRef("pk"), kind__in=[Activity.Kind.CALL, Activity.Kind.VISIT]
    )
    contacts = touches.values("ticket").annotate(n=Count("pk")).values("n")
    inbound = touches.filter(direction=Activity.Direction.INBOUND)
    closed = _period(tickets, since, until).filter(status=Status.CLOSED)
    annotated = closed.annotate(
        repeated=Exists(repeated),
        came_back=Exists(inbound),
        contacts=Coalesce(Subquery(contacts), 0),
    )
    resolved = Q(outcome=ClosingOutcome.RESOLVED, reopened_count=0, repeated=False, came_back=False)
    rows = (
        annotated.values(key, label)
        .annotate(
            closed=Count("pk", distinct=True),
            first_contact=Count("pk", distinct=True, filter=resolved),
            one_touch=Count("pk", distinct=True, filter=resolved & Q(contacts__lte=1)),
        )
        .order_by(label)
    )
    return [
        {
            "key": row[key],
            "name": row[label] or "—",
            "closed": row["closed"],
            "first_contact": row["first_contact"],
            "rate": row["first_contact"] / row["closed"] if row["closed"] else None,
            "one_touch": row["one_touch"],
            "one_touch_rate": row["one_touch"] / row["closed"] if row["closed"] else None,
        }
        for row in rows
    ]


def closing_outcomes(
    tickets: QuerySet[Ticket],
    by: str,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """How the tickets closed in the period ended, per agent, branch or reason: resolved
    with a satisfied customer, declined with reasons, unreachable, merged. The ones that
    did not end with a satisfied customer are reported apart, never folded into resolved."""
    if by not in GROUPS:
        raise ValueError(f"group by one of {', '.join(GROUPS)}")
    key, label = GROUPS[by]
    closed = _period(tickets, since, until).filter(status=Status.CLOSED)
    counts = {outcome: Count("pk", filter=Q(outcome=outcome)) for outcome in ClosingOutcome.values}
    rows = closed.values(key, label).annotate(closed=Count("pk"), **counts).order_by(label)
    return [
        {
            "key": row[key],
            "name": row[label] or "—",
            "closed": row["closed"],
            **{outcome: row[outcome] for outcome in ClosingOutcome.values},
            "not_satisfied": row["closed"] - row[ClosingOutcome.RESOLVED],
        }
        for row in rows
    ]


def promises(
    tickets: QuerySet[Ticket], since: dt.datetime | None = None, until: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Promises told to customers per agent (seed 001): kept in time, broken, still open."""
    from django.utils import timezone

    from .models import Promise

    now = timezone.now()
    made = Promise.objects.filter(ticket__in=_period(tickets, since, until))
    rows = (
        made.values("told_by_id", "told_by__name")
        .annotate(
            total=Count("pk"),
            kept=Count("pk", filter=Q(kept_at__isnull=False, kept_at__lte=F("due_at"))),
            late=Count("pk", filter=Q(kept_at__gt=F("due_at"))),
            overdue=Count("pk", filter=Q(kept_at__isnull=True, due_at__lt=now)),
        )
        .order_by("told_by__name")
    )
    return [
        {
            "key": row["told_by_id"],
            "name": row["told_by__name"] or "—",
            "total": row["total"],
            "kept": row["kept"],
            "broken": row["late"] + row["overdue"],
            "open": row["total"] - row["kept"] - row["late"] - row["overdue"],
            "rate": row["kept"] / row["total"] if row["total"] else None,
        }
        for row in rows
    ]
