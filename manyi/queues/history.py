"""A branch's own queue history, shaped for the analyses: arrivals per interval of a typical
day, service times, patience and no-shows (for the simulation and the staffing plan)."""

from __future__ import annotations

import datetime as dt
from collections import Counter as Tally
from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from manyi.analytics.queue_sim import Counter as SimCounter
from manyi.analytics.queue_sim import Patience, Scenario, Service, ServiceTime
from manyi.core import clock
from manyi.org.models import Branch

from .config import policy_of, settings_for
from .models import Counter, QueueTicket, ServiceType

S = QueueTicket.Status
DAY_START = dt.time(8, 30)  # the simulated day's first interval
INTERVALS = 38  # 15-minute intervals to 18:00
INTERVAL_S = 900


@dataclass(frozen=True)
class DayPattern:
    """Mean numbers taken per interval on the chosen weekday, per service (and overall)."""

    weekday: int
    days: int  # how many such days the history holds
    per_service: dict[str, list[float]]
    mix: dict[str, dict[str, float]]
    start: dt.time = DAY_START
    interval_s: int = INTERVAL_S

    @property
    def total(self) -> list[float]:
        return [sum(values) for values in zip(*self.per_service.values(), strict=True)] or [
            0.0
        ] * INTERVALS


def _history(branch: Branch, weeks: int):
    since = timezone.localdate(clock.now()) - dt.timedelta(weeks=weeks)
    return QueueTicket.objects.filter(
        branch=branch, day__gte=since, status__in=[S.DONE, S.NO_SHOW, S.ABANDONED]
    )


def busiest_weekday(branch: Branch, weeks: int = 8) -> int:
    tally = Tally(day.weekday() for day in _history(branch, weeks).values_list("day", flat=True))
    return tally.most_common(1)[0][0] if tally else 0


def day_pattern(branch: Branch, weekday: int, weeks: int = 8) -> DayPattern:
    services = list(ServiceType.objects.filter(branch=branch, active=True).order_by("position"))
    per_service = {s.prefix: [0.0] * INTERVALS for s in services}
    mix: dict[str, Tally[str]] = {s.prefix: Tally() for s in services}
    days: set[dt.date] = set()
    tz = timezone.get_current_timezone()
    rows = _history(branch, weeks).values_list("day", "issued_at", "service__prefix", "priority")
    for day, issued, prefix, priority in rows.iterator(chunk_size=5000):
        if day.weekday() != weekday or prefix not in per_service:
            continue
        days.add(day)
        local = issued.astimezone(tz)
        start = dt.datetime.combine(local.date(), DAY_START, tzinfo=tz)
        index = int((local - start).total_seconds() // INTERVAL_S)
        if 0 <= index < INTERVALS:
            per_service[prefix][index] += 1
            mix[prefix][priority] += 1
    n = max(len(days), 1)
    return DayPattern(
        weekday=weekday,
        days=len(days),
        per_service={k: [v / n for v in values] for k, values in per_service.items()},
        mix={
            k: ({p: c / sum(t.values()) for p, c in t.items()} if t else {"ordinary": 1.0})
            for k, t in mix.items()
        },
    )


def service_seconds(branch: Branch, weeks: int = 8) -> dict[str, list[float]]:
    """Observed service durations per service (the simulation resamples them)."""
    found: dict[str, list[float]] = {}
    rows = (
        _history(branch, weeks)
        .filter(status=S.DONE, started_at__isnull=False)
        .annotate(took=F("finished_at") - F("started_at"))
        .values_list("service__prefix", "took")
    )
    for prefix, took in rows.iterator(chunk_size=5000):
        seconds = took.total_seconds() if hasattr(took, "total_seconds") else float(took) / 1e6
        if seconds > 0:
            found.setdefault(prefix, []).append(seconds)
    return found


def patience_and_no_shows(branch: Branch, weeks: int = 8) -> tuple[float | None, float]:
    """Mean patience (exponential, estimated from who gave up against how long everyone
    waited) and the share of numbers nobody answered."""
    waited = 0.0
    gave_up = no_show = total = 0
    rows = _history(branch, weeks).values_list("status", "issued_at", "called_at", "finished_at")
    for status, issued, called, finished in rows.iterator(chunk_size=5000):
        total += 1
        if status == S.ABANDONED:
            gave_up += 1
            end = finished or called
        else:
            end = called
        if end is not None:
            waited += max(0.0, (end - issued).total_seconds())
        no_show += status == S.NO_SHOW
    patience = waited / gave_up if gave_up else None
    return patience, (no_show / total if total else 0.0)


def scenario_for(
    branch: Branch, weekday: int, *, extra_counters: int = 0, weeks: int = 8
) -> tuple[Scenario, DayPattern]:
    """The branch's typical `weekday` as a simulation scenario: its arrivals, its service
    times, its counters (plus `extra_counters` that serve everything) and its rules."""
    pattern = day_pattern(branch, weekday, weeks)
    durations = service_seconds(branch, weeks)
    patience, no_shows = patience_and_no_shows(branch, weeks)
    services = []
    for prefix, per_interval in pattern.per_service.items():
        sample = durations.get(prefix)
        services.append(
            Service(
                name=prefix,
                per_interval=tuple(per_interval),
                service_time=ServiceTime.empirical(sample)
                if sample
                else ServiceTime.lognormal(300.0, 0.6),
                mix=pattern.mix[prefix],
            )
        )
    counters = [
        SimCounter(name=str(c.number), services=tuple(s.prefix for s in c.services_in_order()))
        for c in Counter.objects.filter(branch=branch, active=True).order_by("number")
    ]
    everything = tuple(pattern.per_service)
    counters += [SimCounter(name=f"+{n + 1}", services=everything) for n in range(extra_counters)]
    settings = settings_for(branch)
    scenario = Scenario(
        services=tuple(services),
        counters=tuple(c for c in counters if c.services),
        interval_seconds=float(INTERVAL_S),
        patience=Patience(mean=patience) if patience else None,
        no_show_share=no_shows,
        target_seconds=float(settings.target_wait_minutes * 60),
        policy=policy_of(settings),
    )
    return scenario, pattern
