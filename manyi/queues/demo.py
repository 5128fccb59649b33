"""Demo: three busy branches with their businesses, counters and rules, and three months of
queue history with real-looking daily and weekly peaks (`manyi.analytics.queue_synth`:
morning and afternoon peaks, busy Mondays, Fridays and month-ends, VIPs, the elderly,
appointments, customers who leave and numbers nobody answers), written as tickets and
events, so the statistics, the staffing plan, the simulation and the wait estimate all have
a history to read. The last week's numbers also carry the wait the kiosk would have told
when each was taken (the replay of `manyi.analytics.replay`: the same estimate, from what
was known at that moment), so the statistics show how honest the estimates were."""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any

import pandas as pd
from django.db import connection
from django.utils import timezone

from manyi.analytics.queue_synth import BranchProfile, Day, branch_profile, history
from manyi.analytics.replay import read_counters, read_events, replay
from manyi.core.bulk import insert_rows
from manyi.core.demo import DemoContext, demo_step
from manyi.org.models import Staff

from .actions import ensure_settings
from .models import Counter, CounterService, QueueEvent, QueueTicket, ServiceType

DEMO_BRANCHES = {"SH01": 1.3, "BJ01": 1.0, "GZ01": 0.8}  # how busy, relative to a standard
OUTCOME_STATUS = {"served": "done", "no_show": "no_show", "abandoned": "abandoned"}
TOLD_DAYS = 7  # the last days of history whose numbers carry the estimate told at issue

Told = dict[tuple[dt.date, str], tuple[int | None, int | None, int | None]]


def _services(branch: Any, profile: BranchProfile) -> dict[str, ServiceType]:
    made = {}
    for position, spec in enumerate(profile.services, start=1):
        made[spec.code] = ServiceType.objects.create(
            branch=branch,
            prefix=spec.code,
            name=spec.name,
            name_en={"A": "Personal banking", "B": "Business banking"}.get(
                spec.code, "Wealth management / VIP"
            ),
            position=position,
        )
    return made


def _counters(branch: Any, profile: BranchProfile, services: dict[str, ServiceType]) -> dict:
    made = {}
    for number, spec in enumerate(profile.counters, start=1):
        counter = Counter.objects.create(branch=branch, number=number, name=f"{number}号窗口")
        for preference, prefix in enumerate(spec.services, start=1):
            CounterService.objects.create(
                counter=counter, service=services[prefix], preference=preference
            )
        made[spec.name] = counter
    return made


def _aware(value: Any) -> dt.datetime | None:
    if value is None or pd.isna(value):
        return None
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        return timezone.make_aware(stamp.to_pydatetime())
    return stamp.to_pydatetime()


def _db(value: dt.datetime | None) -> Any:
    """A datetime as the database takes it (UTC for SQLite's text, aware for PostgreSQL)."""
    return connection.ops.adapt_datetimefield_value(value)


@demo_step("queues", order=55)
def make_queues(ctx: DemoContext) -> None:
    days = ctx.overrides.get("queue_days", 30 if ctx.size == "small" else 91)
    if days <= 0:
        return
    branches = {code: b for code, b in ctx.data["branches"].items() if code in DEMO_BRANCHES}
    today = timezone.localdate()
    start, end = today - dt.timedelta(days=days), today - dt.timedelta(days=1)
    total = told_total = 0
    for code, branch in branches.items():
        profile = branch_profile(code, DEMO_BRANCHES[code])
        services = _services(branch, profile)
        counters = _counters(branch, profile, services)
        settings = ensure_settings(branch)
        settings.running_text = (
            "高峰时段：周一、周五上午 10:00–11:30，下午 14:00–15:30；请错峰办理，或使用手机取号。"
        )
        settings.save(update_fields=["running_text"])
        staff = list(Staff.objects.filter(branches=branch).order_by("pk"))
        day = history(profile, start, end, seed=ctx.seed)
        told = _told(day, ctx.overrides.get("queue_told_days", TOLD_DAYS), ctx.seed)
        total += _write(branch, day.events, services, counters, staff, told)
        told_total += len(told)
    ctx.log(
        f"queues: {len(branches)} branches, {total:,} numbers over {days} days "
        f"({told_total:,} with the wait told at the kiosk)"
    )


def _told(day: Day, last: int, seed: int) -> Told:
    """What the kiosk would have told each number of the last `last` days of `day`: wait,
    low and high, in seconds, by (date, number)."""
    told: Told = {}
    for date in sorted(set(day.events["date"]))[-last:] if last > 0 else []:
        run = replay(
            read_events(day.events[day.events["date"] == date]),
            read_counters(day.counters[day.counters["date"] == date]),
            seed=seed,
        )
        for row in run.predictions.itertuples(index=False):
            told[(date, str(row.ticket))] = (
                _seconds(row.predicted_wait_s),
                _seconds(row.low_s),
                _seconds(row.high_s),
            )
    return told


def _seconds(value: Any) -> int | None:
    return round(value) if isinstance(value, float) and math.isfinite(value) else None


def _write(
    branch: Any,
    events: pd.DataFrame,
    services: dict[str, ServiceType],
    counters: dict[str, Counter],
    staff: list[Staff],
    told: Told,
) -> int:
    """Tickets and their events in bulk (history, not live steps: no audit per step)."""
    staff_of: dict[str, int | None] = {}
    tickets: list[list[Any]] = []
    steps: list[tuple[str, str, dt.datetime, int | None, int | None]] = []
    for row in events.itertuples(index=False):
        digest = QueueTicket.digest_of(secrets.token_hex(8))
        issued = _aware(row.issued_at)
        called = _aware(row.called_at)
        started = _aware(row.started_at)
        finished = _aware(row.finished_at)
        counter = counters.get(str(row.counter)) if isinstance(row.counter, str) else None
        if str(row.staff) not in staff_of:
            staff_of[str(row.staff)] = staff[len(staff_of) % len(staff)].pk if staff else None
        member = staff_of[str(row.staff)] if counter else None
        at_counter = counter.pk if counter else None
        status = OUTCOME_STATUS[row.outcome]
        tickets.append(
            [
                branch.pk,
                services[row.service].pk,
                str(row.ticket),
                connection.ops.adapt_datefield_value(timezone.localtime(issued).date()),
                row.priority,
                "kiosk",
                status,
                _db(issued),
                _db(issued),  # history: the place in line is no longer needed
                _db(called),
                1 if called else 0,
                _db(started),
                _db(finished or called),
                at_counter,
                member,
                digest,
                "",
                "[]",
                *told.get((row.date, str(row.ticket)), (None, None, None)),
            ]
        )
        steps.append((digest, "issued", issued, None, None))
        if called:
            steps.append((digest, "called", called, at_counter, member))
        if status == "done":
            steps.append((digest, "started", started or called, at_counter, member))
            steps.append((digest, "finished", finished or called, at_counter, member))
        elif status == "no_show":
            steps.append((digest, "no_show", called or issued, at_counter, member))
        else:
            steps.append((digest, "abandoned", finished or issued, None, None))
    insert_rows(
        QueueTicket,
        [
            "branch_id",
            "service_id",
            "number",
            "day",
            "priority",
            "channel",
            "status",
            "issued_at",
            "queued_at",
            "called_at",
            "calls",
            "started_at",
            "finished_at",
            "counter_id",
            "staff_id",
            "digest",
            "phone",
            "estimate_grid",
            "estimate_s",
            "estimate_low_s",
            "estimate_high_s",
        ],
        tickets,
    )
    ids = dict(QueueTicket.objects.filter(branch=branch).values_list("digest", "pk"))
    insert_rows(
        QueueEvent,
        ["branch_id", "ticket_id", "kind", "at", "counter_id", "staff_id", "detail"],
        [(branch.pk, ids[d], kind, _db(at), c, m, "{}") for d, kind, at, c, m in steps],
    )
    return len(tickets)
