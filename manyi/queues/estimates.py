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
from typing import Any, NamedTuple

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.analytics import wait_estimate as we
from manyi.analytics.queue_policy import Policy, Waiting
from manyi.core.configcache import ConfigCache

from .config import counter_profiles, policy_for, service_prefixes
from .models import Appointment, Counter, Priority, QueueTicket, StaffSession

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

    def fields(self) -> dict[str, Any]:
        """The ticket's columns that keep the estimate told at issue."""
        if self.wait_s is None:
            return {}
        return {
            "estimate_s": round(self.wait_s),
            "estimate_low_s": round(self.low_s or 0),
            "estimate_high_s": round(self.high_s or 0),
            "estimate_grid": [round(v, 1) for v in self.grid],
        }


@dataclass(frozen=True)
class Told:
    """What a ticket was told when its number was taken: written once, never changed."""

    grid: tuple[float, ...]
    low_s: float
    high_s: float


# Kept per process: the day's later estimates calibrate on every earlier one, and decoding
# each one's grid again for every number taken would cost more than the simulation.
_TOLD: ConfigCache[Told | None] = ConfigCache(
    "queue-told-at-issue", depends_on=[], ttl=24 * 3600.0, max_entries=10_000
)


# What today has taught that is slow to learn (the customers' patience), per branch and
# day, refitted as often as the replay refits it (`wait_estimate.Learner`).
_MEMOS: ConfigCache[dict[str, Any]] = ConfigCache(
    "queue-learner-memo", depends_on=[], ttl=24 * 3600.0, max_entries=5_000
)


def told_at_issue(ticket_ids: list[int]) -> dict[int, Told | None]:
    def read(missing: list) -> dict:
        return {
            pk: Told(tuple(grid), float(low or 0), float(high or 0)) if grid else None
            for pk, grid, low, high in QueueTicket.objects.filter(pk__in=missing).values_list(
                "pk", "estimate_grid", "estimate_low_s", "estimate_high_s"
            )
        }

    return _TOLD.get_many(ticket_ids, read)  # type: ignore[return-value]


def remember_told(ticket_id: int, estimate: TicketEstimate) -> None:
    """The estimate just written with a new ticket, so this process need not read it."""
    fields = estimate.fields()
    if fields:
        _TOLD.remember(
            ticket_id,
            Told(
                tuple(fields["estimate_grid"]),
                float(fields["estimate_low_s"]),
                float(fields["estimate_high_s"]),
            ),
        )


def _t(value: dt.datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _closing(branch, now: dt.datetime) -> float | None:
    from manyi.businesstime.services import calendar_for_branch

    for start, end in calendar_for_branch(branch).intervals_on(timezone.localtime(now).date()):
        if start <= now <= end:
            return end.timestamp()
    return None


def _epoch(column: str) -> str:
    """SQL for a datetime column as seconds since 1970 (floats are all the estimate needs;
    parsing hundreds of datetimes per number taken cost more than reading them)."""
    if connection.vendor == "postgresql":
        return f"EXTRACT(EPOCH FROM {column})::float8"
    # SQLite keeps UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]": whole seconds and the fraction
    # apart (julianday() would lose the microseconds, and strftime() rounds them to
    # milliseconds first, so it is given the whole seconds only)
    return (
        f"(CAST(strftime('%%s', substr({column}, 1, 19)) AS REAL) "
        f"+ CAST(substr({column}, 20) AS REAL))"
    )


class _Row(NamedTuple):
    pk: int
    status: str
    priority: str
    service_id: int
    issued_at: float
    called_at: float | None
    finished_at: float | None
    counter_id: int | None
    staff_id: int | None
    appointment_at: float | None
    estimated: bool


def _read_branch(branch_id: int, now: dt.datetime) -> tuple[list[_Row], list, list]:
    """The day's numbers so far, the counters open and the appointments due, in one
    statement: this runs for every number taken, and on PostgreSQL each statement is a round
    trip. The three parts are told apart by the first column (0, 1, 2); the others are
    padded with NULL."""
    ops = connection.ops
    day = timezone.localtime(now).date()
    ticket, appointment = QueueTicket._meta.db_table, Appointment._meta.db_table
    session, counter = StaffSession._meta.db_table, Counter._meta.db_table

    def nulls(n: int) -> str:
        return ", ".join(["NULL"] * n)

    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 0, t.id, t.status, t.priority, t.service_id, {_epoch('t.issued_at')}, "
            f"{_epoch('t.called_at')}, {_epoch('t.finished_at')}, t.counter_id, t.staff_id, "
            # (looked up for the few numbers with an appointment, not joined for all: today's
            # rows are new to the planner's statistics, and it joined them row by row)
            "CASE WHEN t.appointment_id IS NULL THEN NULL ELSE "
            f"(SELECT {_epoch('a.scheduled_at')} FROM {appointment} a "
            "WHERE a.id = t.appointment_id) END, t.estimate_s IS NOT NULL "
            f"FROM {ticket} t "
            "WHERE t.branch_id = %s AND t.day = %s AND t.issued_at <= %s "
            f"UNION ALL SELECT 1, s.counter_id, NULL, NULL, s.staff_id, {nulls(7)} "
            f"FROM {session} s JOIN {counter} c ON c.id = s.counter_id "
            "WHERE c.branch_id = %s AND s.ended_at IS NULL "
            f"UNION ALL SELECT 2, NULL, NULL, NULL, service_id, {_epoch('scheduled_at')}, "
            f"{nulls(6)} FROM {appointment} "
            "WHERE branch_id = %s AND state = %s AND scheduled_at >= %s AND scheduled_at <= %s "
            # the numbers in the order they were taken (the same instant: in number order)
            "ORDER BY 1, 6, 2",
            [
                branch_id,
                ops.adapt_datefield_value(day),
                ops.adapt_datetimefield_value(now),
                branch_id,
                branch_id,
                Appointment.State.BOOKED,
                ops.adapt_datetimefield_value(now - dt.timedelta(minutes=15)),
                ops.adapt_datetimefield_value(now + dt.timedelta(minutes=90)),
            ],
        )
        rows = cursor.fetchall()
    today = [_Row(*row[1:]) for row in rows if row[0] == 0]
    sessions = [(row[1], row[4]) for row in rows if row[0] == 1]
    due = [(row[4], row[5]) for row in rows if row[0] == 2]
    return today, sessions, due


def branch_state(branch, now: dt.datetime, policy: Policy | None = None) -> we.QueueState:
    """Everything the branch knows at `now`, from its tables."""
    today, sessions, due = _read_branch(branch.pk, now)
    prefix = service_prefixes(branch.pk)
    profiles = counter_profiles(branch.pk)
    if (
        any(t.service_id not in prefix for t in today)
        or any(service_id not in prefix for service_id, _at in due)
        or any(counter_id not in profiles for counter_id, _staff in sessions)
    ):  # set up since this process read the setup
        prefix = service_prefixes(branch.pk, fresh=True)
        profiles = counter_profiles(branch.pk, fresh=True)
    waiting = [
        Waiting(
            ticket=str(t.pk),
            service=prefix[t.service_id],
            priority=t.priority,
            issued_at=t.issued_at,
            appointment_at=t.appointment_at if t.priority == Priority.APPOINTMENT else None,
        )
        for t in today
        if t.status == S.WAITING
    ]
    busy = {t.counter_id: t for t in today if t.status in (S.CALLED, S.SERVING) and t.counter_id}
    counters = []
    for counter_id, staff_id in sessions:
        current = busy.get(counter_id)
        profile = profiles.get(counter_id)
        if profile is None:  # removed a moment ago
            continue
        counters.append(
            we.CounterNow(
                counter=str(profile.number),
                services=profile.services,
                staff=str(staff_id),
                busy_since=current.called_at if current else None,
                busy_service=prefix[current.service_id] if current else None,
            )
        )
    history = [
        we.Past(
            service=prefix[t.service_id],
            priority=t.priority,
            issued_at=t.issued_at,
            called_at=t.called_at,
            outcome=OUTCOMES.get(t.status),
            seconds=t.finished_at - t.called_at
            if t.status == S.DONE and t.finished_at is not None and t.called_at is not None
            else None,
            staff=str(t.staff_id) if t.staff_id else None,
            left_at=t.finished_at if t.status == S.ABANDONED else None,
        )
        for t in today
    ]
    told = told_at_issue([t.pk for t in today if t.estimated])
    graded = [t for t in today if told.get(t.pk)]
    calibration = (
        we.calibration_at(
            now.timestamp(),
            [t.issued_at for t in graded],
            [told[t.pk].grid for t in graded],
            [t.called_at for t in graded],
            [t.finished_at if t.status == S.ABANDONED else None for t in graded],
            [told[t.pk].low_s for t in graded],
            [told[t.pk].high_s for t in graded],
        )
        if graded
        else None
    )
    return we.QueueState(
        waiting=waiting,
        counters=counters,
        recent=we.learn(
            history,
            now.timestamp(),
            memo=_MEMOS.get((branch.pk, timezone.localtime(now).date()), dict, copied=False),
        ),
        appointments_due=[(prefix[service_id], at) for service_id, at in due],
        closes_at=_closing(branch, now),
        policy=policy or policy_for(branch),
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


def at_issue(
    branch,
    service: str,
    priority: str,
    now: dt.datetime,
    policy: Policy,
    *,
    appointment_at: dt.datetime | None = None,
) -> TicketEstimate:
    """The estimate for a number about to be taken (told on the kiosk and kept with the
    ticket), from the branch as it stands before the number is written."""
    state = branch_state(branch, now, policy)
    new = Waiting(
        ticket="new",
        service=service,
        priority=priority,
        issued_at=now.timestamp(),
        appointment_at=_t(appointment_at) if priority == Priority.APPOINTMENT else None,
    )
    if not any(service in c.services for c in state.counters):
        ahead = sum(1 for w in state.waiting if w.service == service)
        return TicketEstimate(ahead, None, None, None)
    estimate = we.estimate(state, new, now.timestamp(), draws=DRAWS)
    return TicketEstimate(
        estimate.ahead, estimate.wait_s, estimate.low_s, estimate.high_s, estimate.grid
    )


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
