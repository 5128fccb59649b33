"""One filter for the queue pages and `GET /api/v1/tickets`: the same fields, parsed by the
same schema and applied by the same function, so a saved view, a link from the approvals
list and an integration's query mean the same tickets.

Also the deadline marks the queue shows: the next deadline a ticket has not met and the
business time left until it (or past it), in the branch's own calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import ConfigDict

from manyi.businesstime.services import calendar_for_branch
from manyi.core.formats import duration
from manyi.core.schemas import Int64
from manyi.org.scoping import staff_of

from .config import reason_subtree
from .models import Settings, Status, Ticket
from .search import search
from .sla import breached

Queue = Literal["mine", "unassigned", "team", "breached", "all"]
Due = Literal["overdue", "soon"]
Sort = Literal["due", "newest", "oldest"]
StatusValue = Literal[tuple(Status.values)]  # type: ignore[valid-type]


class TicketFilter(Schema):
    """Which tickets: every field is optional and they all apply together."""

    model_config = ConfigDict(extra="ignore")

    queue: Queue | None = Field(
        None,
        description="mine: assigned to me; unassigned; team: all open ones I may see; "
        "breached: past a deadline; all (default for the API)",
    )
    status: StatusValue | None = None
    reason: str | None = Field(None, max_length=50, description="reason code, with its sub-reasons")
    branch: str | None = Field(None, max_length=32, description="branch code")
    assignee: Int64 | None = Field(None, description="staff id of the assignee")
    breached: bool | None = Field(None, description="only tickets past a deadline")
    due: Due | None = Field(
        None,
        description="overdue: past a deadline; soon: the next deadline is within the "
        "warning lead time of the ticket settings, in business minutes",
    )
    q: str | None = Field(None, max_length=200, description="words in the subject or description")
    sort: Sort | None = Field(
        None, description="due: the nearest deadline first; newest or oldest registered first"
    )


def queues(tickets: QuerySet[Ticket], user: Any) -> dict[str, QuerySet[Ticket]]:
    """The queue tabs over the tickets a person may see."""
    me = staff_of(user)
    open_tickets = tickets.exclude(status=Status.CLOSED)
    return {
        "mine": open_tickets.filter(assignee=me) if me is not None else open_tickets.none(),
        "unassigned": open_tickets.filter(assignee__isnull=True),
        "team": open_tickets,
        "breached": breached(tickets),
        "all": tickets,
    }


def apply(
    tickets: QuerySet[Ticket], filters: TicketFilter, user: Any, queue: str = "all"
) -> QuerySet[Ticket]:
    """The tickets matching the filter, in the order asked for (with words: the newest
    matches first; open work: the nearest deadline first; everything: the newest first)."""
    tickets = queues(tickets, user)[filters.queue or queue]
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.reason:
        tickets = tickets.filter(reason_id__in=reason_subtree(filters.reason))
    if filters.branch:
        tickets = tickets.filter(branch__code=filters.branch)
    if filters.assignee:
        tickets = tickets.filter(assignee_id=filters.assignee)
    if filters.breached or filters.due == "overdue":
        tickets = breached(tickets)
    if filters.due == "soon":
        tickets = tickets.filter(pk__in=due_soon(tickets))
    if filters.q:
        return search(tickets, filters.q)
    sort = filters.sort or ("newest" if (filters.queue or queue) == "all" else "due")
    order = {
        "due": ("resolution_due", "-created_at"),
        "newest": ("-created_at", "-pk"),
        "oldest": ("created_at", "pk"),
    }[sort]
    return tickets.order_by(*order)


def next_due(ticket: Ticket) -> dt.datetime | None:
    """The nearest deadline the ticket has not met yet (none while it waits, or closed)."""
    if ticket.status == Status.CLOSED or ticket.paused_at is not None:
        return None
    unmet = []
    if ticket.first_responded_at is None:
        unmet += [ticket.first_response_due, ticket.reply_due]
    if ticket.resolved_at is None:
        unmet.append(ticket.resolution_due)
    dues = [due for due in unmet if due is not None]
    return min(dues) if dues else None


def warning_minutes() -> int:
    return Settings.current().breach_warning_minutes


def due_soon(tickets: QuerySet[Ticket], now: dt.datetime | None = None) -> list[int]:
    """The open tickets whose next deadline is within the warning lead, in business
    minutes of their branch (not yet past it). Business time is at most wall time, so
    only tickets due within a generous wall-clock bound are looked at."""
    now = now or timezone.now()
    lead = dt.timedelta(minutes=warning_minutes())
    bound = now + lead + dt.timedelta(days=10)  # long holidays
    candidates = (
        tickets.select_related(None)  # whatever the caller joined: only what is needed here
        .order_by()
        .exclude(status=Status.CLOSED)
        .filter(paused_at__isnull=True)
        .filter(
            Q(first_responded_at__isnull=True, first_response_due__lte=bound)
            | Q(resolved_at__isnull=True, resolution_due__lte=bound)
        )
        .select_related("branch")
        .only(
            "pk",
            "status",
            "paused_at",
            "first_response_due",
            "reply_due",
            "resolution_due",
            "first_responded_at",
            "resolved_at",
            "branch",
        )
    )
    found = []
    for ticket in candidates:
        due = next_due(ticket)
        if due is not None and due > now:
            left = calendar_for_branch(ticket.branch).seconds_between(now, due)
            if left <= lead.total_seconds():
                found.append(ticket.pk)
    return found


@dataclass(frozen=True)
class DeadlineMark:
    due: dt.datetime
    seconds: float  # business seconds left (negative: past it)
    soon: bool

    @property
    def late(self) -> bool:
        return self.seconds < 0

    @property
    def words(self) -> str:
        span = duration(abs(self.seconds), seconds_under_a_minute=False)
        if self.late:
            return _("%(span)s past due") % {"span": span}
        return _("%(span)s left") % {"span": span}


def deadline_marks(
    tickets: list[Ticket], now: dt.datetime | None = None
) -> dict[int, DeadlineMark]:
    """For the rows of a queue page: each open ticket's next deadline, the business time
    left until it (negative once passed) and whether it is within the warning lead."""
    now = now or timezone.now()
    lead = warning_minutes() * 60
    marks = {}
    for ticket in tickets:
        due = next_due(ticket)
        if due is None:
            continue
        calendar = calendar_for_branch(ticket.branch)
        if due > now:
            seconds = calendar.seconds_between(now, due)
        else:
            seconds = -max(calendar.seconds_between(due, now), 60.0)
        marks[ticket.pk] = DeadlineMark(due, seconds, 0 <= seconds <= lead)
    return marks
