"""A waiting customer's place and honest wait, from the branch's state now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Avg, F
from django.utils.translation import gettext as _

from manyi.analytics.queue_policy import order

from .actions import _policy_for_virtual, _policy_view, _waiting_rows, settings_for
from .models import QueueTicket, StaffSession

DEFAULT_SERVICE_S = 300.0


@dataclass(frozen=True)
class TicketEstimate:
    ahead: int
    wait_s: float | None  # None: no counter serving this business is open
    low_s: float | None
    high_s: float | None


def _ahead(ticket: QueueTicket, now: dt.datetime) -> int:
    epoch = now.replace(hour=0, minute=0, second=0, microsecond=0)
    line = order(
        [_policy_view(t, epoch) for t in _waiting_rows(ticket.branch_id)],
        [ticket.service.prefix],
        (now - epoch).total_seconds(),
        _policy_for_virtual(settings_for(ticket.branch)),
    )
    names = [w.ticket for w in line]
    return names.index(str(ticket.pk)) if str(ticket.pk) in names else 0


def _mean_service_s(ticket: QueueTicket, now: dt.datetime) -> float:
    for hours in (3, 24 * 30):
        mean = (
            QueueTicket.objects.filter(
                service=ticket.service,
                status=QueueTicket.Status.DONE,
                finished_at__gte=now - dt.timedelta(hours=hours),
                started_at__isnull=False,
            )
            .aggregate(mean=Avg(F("finished_at") - F("started_at")))
            .get("mean")
        )
        if mean:
            return mean.total_seconds() if hasattr(mean, "total_seconds") else float(mean) / 1e6
    return DEFAULT_SERVICE_S


def for_ticket(ticket: QueueTicket, now: dt.datetime) -> TicketEstimate:
    ahead = _ahead(ticket, now)
    servers = StaffSession.objects.filter(
        counter__branch_id=ticket.branch_id,
        counter__profile__service=ticket.service,
        ended_at__isnull=True,
    ).count()
    if not servers:
        return TicketEstimate(ahead, None, None, None)
    wait = (ahead + 1) * _mean_service_s(ticket, now) / servers
    return TicketEstimate(ahead, wait, 0.5 * wait, 1.5 * wait)


def describe(estimate: TicketEstimate) -> str:
    if estimate.wait_s is None:
        return _("%(n)d ahead of you; no counter for this business is open yet.") % {
            "n": estimate.ahead
        }
    low = max(0, round((estimate.low_s or 0) / 60))
    high = max(low + 1, round((estimate.high_s or 0) / 60))
    return _("%(n)d ahead of you; about %(low)d-%(high)d minutes.") % {
        "n": estimate.ahead,
        "low": low,
        "high": high,
    }
