"""Who is told what happened to a ticket: run on the task workers after the step commits
(never in the request), one notification per person and event."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from manyi.core.events import EventMeta, subscriber
from manyi.notifications.actions import notify
from manyi.notifications.models import Kind
from manyi.org.models import Staff

from .approvals import approvers, next_role
from .events import TicketEscalated, TicketTransitioned
from .models import ExecutionOrder, Proposal, Status, Ticket


def _url(ticket: Ticket) -> str:
    return f"/tickets/{ticket.pk}/"


def _about(ticket: Ticket) -> dict[str, object]:
    return {"number": ticket.number, "subject": ticket.subject}


def _not_the_actor(people: list[Staff], meta: EventMeta) -> list[Staff]:
    return [p for p in people if p.user_id != meta.actor_id]


@subscriber(TicketTransitioned)
def tell_who_must_act(event: TicketTransitioned, meta: EventMeta) -> None:
    """(Registration itself tells no one: whoever registers handles it, and an assignment
    rule's choice arrives here as an "assign" step. So registering enqueues no task.)"""
    ticket = Ticket.objects.select_related("assignee", "branch").get(pk=event.ticket_id)
    source = f"event:{meta.event_id}"
    if event.action == "assign" and ticket.assignee is not None:
        notify(
            _not_the_actor([ticket.assignee], meta),
            Kind.ASSIGNED,
            source=source,
            at=meta.occurred_at,
            params=_about(ticket),
            url=_url(ticket),
        )
    if event.to_status == Status.AWAITING_APPROVAL:
        _approval_needed(ticket, meta, source)
    if (event.action == "approve" and event.to_status != Status.AWAITING_APPROVAL) or (
        event.action == "reject"
    ):
        _decided(ticket, meta, source, approved=event.action == "approve")
    if event.action == "agree" and event.to_status == Status.EXECUTING:
        _orders_sent(ticket, meta, source)


def _approval_needed(ticket: Ticket, meta: EventMeta, source: str) -> None:
    proposal = (
        ticket.proposals.filter(state=Proposal.State.PENDING)
        .select_related("proposed_by", "ticket__branch")
        .prefetch_related("approvals")
        .order_by("-pk")
        .first()
    )
    if proposal is None:
        return
    level = next_role(
        proposal.required_roles, [a.role for a in proposal.approvals.all() if a.approved]
    )
    if level is None:
        return
    notify(
        _not_the_actor(approvers(proposal, level), meta),
        Kind.APPROVAL_NEEDED,
        source=source,
        at=meta.occurred_at,
        params={
            **_about(ticket),
            "total": f"{proposal.total:,}",
            "decline": proposal.kind == Proposal.Kind.DECLINE,
            "proposer": proposal.proposed_by.name if proposal.proposed_by else "",
        },
        url="/tickets/approvals/",
    )


def _decided(ticket: Ticket, meta: EventMeta, source: str, *, approved: bool) -> None:
    proposal = (
        ticket.proposals.exclude(state=Proposal.State.PENDING)
        .select_related("proposed_by")
        .prefetch_related("approvals__approver")
        .order_by("-pk")
        .first()
    )
    if proposal is None or proposal.proposed_by is None:
        return
    decision = max(proposal.approvals.all(), key=lambda a: (a.at, a.pk), default=None)
    notify(
        _not_the_actor([proposal.proposed_by], meta),
        Kind.DECIDED,
        source=source,
        at=meta.occurred_at,
        params={
            **_about(ticket),
            "approved": approved,
            "decline": proposal.kind == Proposal.Kind.DECLINE,
            "by": decision.approver.name if decision is not None else "",
            "comment": decision.comment if decision is not None else "",
        },
        url=_url(ticket),
    )


def _orders_sent(ticket: Ticket, meta: EventMeta, source: str) -> None:
    from .workspace import order_label

    orders = ticket.orders.filter(state=ExecutionOrder.State.OPEN).select_related(
        "department", "remedy"
    )
    for order in orders:
        people = list(Staff.objects.filter(department=order.department, user__is_active=True))
        notify(
            _not_the_actor(people, meta),
            Kind.ORDER_SENT,
            source=f"{source}:order:{order.pk}",
            at=meta.occurred_at,
            params={**_about(ticket), "order": order_label(order)},
            url=_url(ticket),
        )


@subscriber(TicketEscalated)
def tell_the_owner_of_a_breach(event: TicketEscalated, meta: EventMeta) -> None:
    ticket = Ticket.objects.select_related("assignee").get(pk=event.ticket_id)
    if ticket.assignee is not None:
        notify(
            [ticket.assignee],
            Kind.BREACHED,
            source=f"event:{meta.event_id}",
            at=meta.occurred_at,
            params=_about(ticket),
            url=_url(ticket),
        )


def warn_due_soon(now: dt.datetime | None = None) -> int:
    """Tell each owner once per deadline that it is near (the lead time of the ticket
    settings, in business minutes of the ticket's branch)."""
    from .filters import deadline_marks, due_soon, next_due

    now = now or timezone.now()
    owned = Ticket.objects.filter(assignee__isnull=False)
    soon = list(Ticket.objects.filter(pk__in=due_soon(owned, now)).select_related("branch"))
    marks = deadline_marks(soon, now)
    told = 0
    for ticket in soon:
        due = next_due(ticket)
        mark = marks.get(ticket.pk)
        if due is None or mark is None:
            continue
        told += notify(
            [ticket.assignee_id],
            Kind.DUE_SOON,
            source=f"due:{ticket.pk}:{due.isoformat()}",
            params={**_about(ticket), "minutes": int(mark.seconds // 60)},
            url=_url(ticket),
        )
    return told
