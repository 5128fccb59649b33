"""A waiting customer's place and honest wait, from the branch's state now.

The branch's tables are turned into `manyi.analytics.wait_estimate.QueueState` (the line,
the counters open now and what they are busy with, what today has taught about service
times, no-shows, patience and arrivals, the appointments due, today's calibration) and the
estimate is a Monte Carlo of the branch forward from now under the fairness rule, with an
80% interval that today's earlier numbers keep honest. The estimate told at issue is kept
with the ticket, so the statistics can say how honest it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics import wait_estimate as we
from manyi.analytics.queue_policy import Policy, Waiting

from .actions import policy_of, settings_for
from .models import Appointment, CounterService, Priority, QueueTicket, StaffSession

S = QueueTicket.Status
OUTCOMES = {S.DONE: "served", S.NO_SHOW: "no_show", S.ABANDONED: "abandoned"}
DRAWS = 100  # simulated futures per estimate: the replay loses ~1% MAE at 50


@dataclass(frozen=True)
class TicketEstimate:
    ahead: int
    wait_s: float | None  # None: no counter serving this business is open
    low_s: float | None
    high_s: float | None
    grid: tuple[float, ...] = ()


def _t(value: dt.datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _closing(branch, now: dt.datetime) -> float | None:
    from manyi.businesstime.services import calendar_for_branch

    for start, end in calendar_for_branch(branch).intervals_on(timezone.localtime(now).date()):
        if start <= now <= end:
            return end.timestamp()
    return None


def branch_state(branch, now: dt.datetime, policy: Policy | None = None) -> we.QueueState:
    """Everything the branch knows at `now`, from its tables (the day's numbers read as
    plain rows: this runs for every number taken)."""
    day = timezone.localtime(now).date()
    today = list(
        QueueTicket.objects.filter(branch=branch, day=day, issued_at__lte=now)
        .order_by("issued_at", "pk")  # numbers taken in the same instant: in number order
        .values_list(
            "pk",
            "status",
            "priority",
            "service__prefix",
            "issued_at",
            "called_at",
            "finished_at",
            "counter_id",
            "staff_id",
            "appointment__scheduled_at",
            "estimate_grid",
            "estimate_low_s",
            "estimate_high_s",
            named=True,
        )
    )
    waiting = [
        Waiting(
            ticket=str(t.pk),
            service=t.service__prefix,
            priority=t.priority,
            issued_at=t.issued_at.timestamp(),
            appointment_at=_t(t.appointment__scheduled_at)
            if t.priority == Priority.APPOINTMENT
            else None,
        )
        for t in today
        if t.status == S.WAITING
    ]
    sessions = StaffSession.objects.filter(
        counter__branch=branch, ended_at__isnull=True
    ).values_list("counter_id", "counter__number", "staff_id")
    busy = {t.counter_id: t for t in today if t.status in (S.CALLED, S.SERVING) and t.counter_id}
    profiles: dict[int, list[str]] = {}
    for counter_id, prefix in (
        CounterService.objects.filter(counter__branch=branch)
        .order_by("counter_id", "preference")
        .values_list("counter_id", "service__prefix")
    ):
        profiles.setdefault(counter_id, []).append(prefix)
    counters = []
    for counter_id, number, staff_id in sessions:
        current = busy.get(counter_id)
        counters.append(
            we.CounterNow(
                counter=str(number),
                services=tuple(profiles.get(counter_id, ())),
                staff=str(staff_id),
                busy_since=_t(current.called_at) if current else None,
                busy_service=current.service__prefix if current else None,
            )
        )
    history = [
        we.Past(
            service=t.service__prefix,
            priority=t.priority,
            issued_at=t.issued_at.timestamp(),
            called_at=_t(t.called_at),
            outcome=OUTCOMES.get(t.status),
            seconds=(t.finished_at - t.called_at).total_seconds()
            if t.status == S.DONE and t.finished_at and t.called_at
            else None,
            staff=str(t.staff_id) if t.staff_id else None,
            left_at=_t(t.finished_at) if t.status == S.ABANDONED else None,
        )
        for t in today
    ]
    graded = [t for t in today if t.estimate_grid]
    calibration = (
        we.calibration_at(
            now.timestamp(),
            [t.issued_at.timestamp() for t in graded],
            [t.estimate_grid for t in graded],
            [_t(t.called_at) for t in graded],
            [_t(t.finished_at) if t.status == S.ABANDONED else None for t in graded],
            [float(t.estimate_low_s or 0) for t in graded],
            [float(t.estimate_high_s or 0) for t in graded],
        )
        if graded
        else None
    )
    due = Appointment.objects.filter(
        branch=branch,
        state=Appointment.State.BOOKED,
        scheduled_at__gte=now - dt.timedelta(minutes=15),
        scheduled_at__lte=now + dt.timedelta(minutes=90),
    ).select_related("service")
    return we.QueueState(
        waiting=waiting,
        counters=counters,
        recent=we.learn(history, now.timestamp()),
        appointments_due=[(a.service.prefix, a.scheduled_at.timestamp()) for a in due],
        closes_at=_closing(branch, now),
        policy=policy or policy_of(settings_for(branch)),
        calibration=calibration,
    )


def for_ticket(
    ticket: QueueTicket, now: dt.datetime, policy: Policy | None = None
) -> TicketEstimate:
    state = branch_state(ticket.branch, now, policy)
    if not any(ticket.service.prefix in c.services for c in state.counters):
        ahead = sum(
            1
            for w in state.waiting
            if w.service == ticket.service.prefix and w.issued_at < ticket.issued_at.timestamp()
        )
        return TicketEstimate(ahead, None, None, None)
    estimate = we.estimate(state, str(ticket.pk), now.timestamp(), draws=DRAWS, seed=ticket.pk)
    return TicketEstimate(
        estimate.ahead, estimate.wait_s, estimate.low_s, estimate.high_s, estimate.grid
    )


def record_at_issue(ticket: QueueTicket, policy: Policy | None = None) -> TicketEstimate:
    """The estimate told when the number is taken, kept with the ticket."""
    estimate = for_ticket(ticket, ticket.issued_at, policy)
    if estimate.wait_s is not None:
        QueueTicket.objects.filter(pk=ticket.pk).update(
            estimate_s=round(estimate.wait_s),
            estimate_low_s=round(estimate.low_s or 0),
            estimate_high_s=round(estimate.high_s or 0),
            estimate_grid=[round(v, 1) for v in estimate.grid],
        )
    return estimate


def describe(estimate: TicketEstimate) -> str:
    if estimate.wait_s is None:
        return _("%(n)d ahead of you; no counter for this business is open yet.") % {
            "n": estimate.ahead
        }
    low = max(0, int((estimate.low_s or 0) // 60))
    high = max(low + 1, -int(-(estimate.high_s or 0) // 60))
    return _("%(n)d ahead of you; about %(low)d-%(high)d minutes.") % {
        "n": estimate.ahead,
        "low": low,
        "high": high,
    }
