"""Queue API: numbers for integrations (a bank's app, a call centre), the counter's steps,
and the board's state.

POST /queues/branches/{code}/tickets            take a number (staff or integration token)
GET  /queues/tickets/{id}                       a number's state, place and wait estimate
POST /queues/counters/{id}/actions/{action}     open, close, next, recall, start, finish,
                                                no_show, park, transfer ({"to": "B"});
                                                409 when the state does not allow the step
GET  /queues/branches/{code}/board              what the display board shows
GET  /queues/branches/{code}/staffing           Erlang C/A staffing plan from the history
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy
from ninja import Field, Router, Schema, Status

from manyi.core import clock
from manyi.core.apierrors import ApiError
from manyi.core.schemas import Id
from manyi.customers.models import Customer
from manyi.org.permissions import require_permission
from manyi.org.scoping import get_visible_or_404, visible_branch_by_code

from . import actions, config, estimates, live
from .models import Counter, Priority, QueueTicket

router = Router(tags=["queues"])


def _branch(request: HttpRequest, code: str) -> Any:
    branch = visible_branch_by_code(request.auth, code)
    if branch is None:
        raise ApiError(404, "not_found", "No such branch.")
    return branch


class TakeIn(Schema):
    service: str = Field(..., description="the service's number prefix, e.g. A")
    priority: str = Field("ordinary", description="ordinary, elderly, vip")
    phone: str = ""
    customer_id: Id | None = None


class QueueNumberOut(Schema):
    id: int
    number: str
    service: str
    status: str
    priority: str
    issued_at: str
    ahead: int | None = None
    wait_s: float | None = None
    low_s: float | None = None
    high_s: float | None = None
    counter: int | None = None
    status_url: str | None = None


def _ticket_out(ticket: QueueTicket, status_url: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ticket.pk,
        "number": ticket.number,
        "service": ticket.service.prefix,
        "status": ticket.status,
        "priority": ticket.priority,
        "issued_at": ticket.issued_at.isoformat(),
        "counter": ticket.counter.number if ticket.counter else None,
        "status_url": status_url,
    }
    if ticket.status == QueueTicket.Status.WAITING:
        # just taken: the estimate told at issue; otherwise as things stand now
        estimate = getattr(ticket, "estimate", None) or estimates.for_ticket(ticket, clock.now())
        out.update(
            ahead=estimate.ahead,
            wait_s=estimate.wait_s,
            low_s=estimate.low_s,
            high_s=estimate.high_s,
        )
    return out


@router.post(
    "/queues/branches/{code}/tickets",
    response={201: QueueNumberOut},
    summary=gettext_lazy("Take a number"),
)
def take_number(request: HttpRequest, code: str, payload: TakeIn) -> Any:
    branch = _branch(request, code)
    service = config.service_by_prefix(branch, payload.service)
    if service is None:
        raise ApiError(404, "not_found", "No such service at this branch.")
    if payload.priority not in (Priority.ORDINARY, Priority.ELDERLY, Priority.VIP):
        raise ApiError(400, "invalid", "priority must be ordinary, elderly or vip")
    customer = None
    if payload.customer_id is not None:
        customer = get_visible_or_404(Customer.objects.all(), request.auth, pk=payload.customer_id)
    try:
        ticket, token = actions.take_number(
            request.auth,
            branch,
            service,
            channel=QueueTicket.Channel.API,
            priority=payload.priority,
            customer=customer,
            phone=payload.phone,
        )
    except actions.QueueRefused as refused:
        raise ApiError(409, "conflict", " ".join(refused.messages)) from None
    url = request.build_absolute_uri(f"/q/t/{token}/")
    return Status(201, _ticket_out(ticket, url))


@router.get(
    "/queues/tickets/{ticket_id}", response=QueueNumberOut, summary=gettext_lazy("A number's state")
)
def ticket_detail(request: HttpRequest, ticket_id: Id) -> Any:
    require_permission(request.auth, "queues.serve")
    ticket = get_visible_or_404(
        QueueTicket.objects.select_related("service", "counter"), request.auth, pk=ticket_id
    )
    return _ticket_out(ticket)


class StepIn(Schema):
    to: str = Field("", description="transfer: the service's prefix")
    note: str = ""


@router.post(
    "/queues/counters/{counter_id}/actions/{action}",
    summary=gettext_lazy("A step at a counter"),
    description=gettext_lazy(
        "409 when the counter's or the number's state does not allow the step."
    ),
)
def counter_step(request: HttpRequest, counter_id: Id, action: str, payload: StepIn) -> Any:
    if action not in actions.COUNTER_STEPS:
        raise ApiError(404, "not_found", f"No such step {action!r}.")
    counter = get_visible_or_404(
        Counter.objects.select_related("branch"), request.auth, pk=counter_id
    )
    try:
        result = actions.counter_step(
            request.auth, counter, action, to=payload.to, note=payload.note
        )
    except actions.QueueRefused as refused:
        raise ApiError(409, "conflict", " ".join(refused.messages)) from None
    except ValidationError:
        raise
    if isinstance(result, QueueTicket):
        return {"ticket": _ticket_out(result)}
    return {"ticket": None, "done": action}


@router.get("/queues/branches/{code}/board", summary=gettext_lazy("What the display board shows"))
def board(request: HttpRequest, code: str) -> Any:
    require_permission(request.auth, "queues.serve")
    return live.board_state(_branch(request, code))
