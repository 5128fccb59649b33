"""What the kiosk, the board and the customer's phone show: the line now, a ticket's place
in it, its honest wait estimate, and the board's live feed of calls (server-sent events,
with a JSON state for the polling fallback)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.core import clock
from manyi.org.models import Branch

from . import estimates
from .config import settings_for
from .models import Counter, QueueEvent, QueueTicket, ServiceType, StaffSession

S = QueueTicket.Status
CALL_KINDS = (QueueEvent.Kind.CALLED, QueueEvent.Kind.RECALLED)
STREAM_SECONDS = 55  # the browser reconnects (with Last-Event-ID) after each stream
POLL_SECONDS = 0.25  # how often the stream looks for new calls: well under a second


def announcement(number: str, counter: Counter) -> str:
    """The sentence the board speaks and shows."""
    return _("Number %(number)s, please go to counter %(counter)s") % {
        "number": " ".join(number),
        "counter": counter.number,
    }


def _call(event: QueueEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "number": event.ticket.number,
        "counter": event.counter.number if event.counter else None,
        "counter_name": str(event.counter) if event.counter else "",
        "recall": event.kind == QueueEvent.Kind.RECALLED,
        "at": timezone.localtime(event.at).strftime("%H:%M:%S"),
        "say": announcement(event.ticket.number, event.counter) if event.counter else "",
    }


def calls_after(branch_id: int, after: int, limit: int = 20) -> list[dict[str, Any]]:
    events = (
        QueueEvent.objects.filter(branch_id=branch_id, pk__gt=after, kind__in=CALL_KINDS)
        .select_related("ticket", "counter")
        .order_by("pk")[:limit]
    )
    return [_call(event) for event in events]


def recent_calls(branch_id: int, limit: int = 8) -> list[dict[str, Any]]:
    """Today's last calls: before the first call of the day the board shows none, not
    yesterday's last number as if it were being called now."""
    today = timezone.localtime(clock.now()).replace(hour=0, minute=0, second=0, microsecond=0)
    events = (
        QueueEvent.objects.filter(branch_id=branch_id, kind__in=CALL_KINDS, at__gte=today)
        .select_related("ticket", "counter")
        .order_by("-pk")[:limit]
    )
    return [_call(event) for event in events]


def waiting_counts(branch: Branch) -> list[dict[str, Any]]:
    counts = dict(
        QueueTicket.objects.filter(branch=branch, status=S.WAITING)
        .values_list("service_id")
        .annotate(n=Count("pk"))
    )
    return [
        {"prefix": s.prefix, "name": s.name, "name_en": s.name_en, "waiting": counts.get(s.pk, 0)}
        for s in ServiceType.objects.filter(branch=branch, active=True).order_by("position")
    ]


def current_tickets(counters: Iterable[Counter]) -> dict[int, QueueTicket]:
    """The number each counter is calling or serving, by counter id (counters serving
    nobody are left out), in one query: what `config.current_ticket` answers for one."""
    current: dict[int, QueueTicket] = {}
    tickets = (
        QueueTicket.objects.filter(
            counter__in=[counter.pk for counter in counters], status__in=[S.CALLED, S.SERVING]
        )
        .select_related("service")
        .order_by("pk")
    )
    for ticket in tickets:
        current.setdefault(ticket.counter_id, ticket)
    return current


def board_state(branch: Branch) -> dict[str, Any]:
    settings = settings_for(branch)
    calls = recent_calls(branch.pk)
    return {
        "branch": branch.name,
        "calls": calls,
        "last_id": calls[0]["id"] if calls else _last_event_id(branch.pk),
        "waiting": waiting_counts(branch),
        "open_counters": StaffSession.objects.filter(
            counter__branch=branch, ended_at__isnull=True
        ).count(),
        "running_text": settings.running_text,
        "now": timezone.localtime(clock.now()).strftime("%H:%M"),
    }


def _last_event_id(branch_id: int) -> int:
    last = QueueEvent.objects.filter(branch_id=branch_id).order_by("-pk").values("pk").first()
    return last["pk"] if last else 0


def _message(call: dict[str, Any]) -> str:
    return f"id: {call['id']}\nevent: call\ndata: {json.dumps(call, ensure_ascii=False)}\n\n"


def stream(branch_id: int, after: int, seconds: float | None = None) -> Iterator[str]:
    """The board's feed for a threaded (WSGI) server."""
    yield "retry: 1000\n\n"
    deadline = time.monotonic() + (STREAM_SECONDS if seconds is None else seconds)
    beat = time.monotonic()
    while time.monotonic() < deadline:
        for call in calls_after(branch_id, after):
            after = call["id"]
            yield _message(call)
        if time.monotonic() - beat > 15:
            beat = time.monotonic()
            yield ": still here\n\n"
        time.sleep(POLL_SECONDS)


async def astream(branch_id: int, after: int, seconds: float | None = None) -> AsyncIterator[str]:
    """The same feed for the ASGI server (uvicorn), without holding a thread."""
    from asgiref.sync import sync_to_async

    fetch = sync_to_async(calls_after)
    yield "retry: 1000\n\n"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (STREAM_SECONDS if seconds is None else seconds)
    beat = loop.time()
    while loop.time() < deadline:
        for call in await fetch(branch_id, after):
            after = call["id"]
            yield _message(call)
        if loop.time() - beat > 15:
            beat = loop.time()
            yield ": still here\n\n"
        await asyncio.sleep(POLL_SECONDS)


def ticket_state(ticket: QueueTicket) -> dict[str, Any]:
    """What the customer's phone shows: where they are, how long, or where to go."""
    ticket.refresh_from_db()
    state: dict[str, Any] = {
        "number": ticket.number,
        "service": ticket.service.name,
        "status": ticket.status,
        "status_label": ticket.get_status_display(),
        "issued_at": timezone.localtime(ticket.issued_at).strftime("%H:%M"),
    }
    if ticket.status == S.CALLED and ticket.counter:
        state["counter"] = ticket.counter.number
        state["message"] = _("It is your turn: please go to counter %(counter)s.") % {
            "counter": ticket.counter.number
        }
    elif ticket.status == S.WAITING:
        estimate = estimates.for_ticket(ticket, clock.now())
        state.update(
            ahead=estimate.ahead,
            wait_s=estimate.wait_s,
            low_s=estimate.low_s,
            high_s=estimate.high_s,
            message=estimates.describe(estimate),
        )
    elif ticket.status == S.PARKED:
        state["message"] = _("Set aside: tell the counter when you are ready.")
    return state
