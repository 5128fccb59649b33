"""Realistic branch days, for tests, the demo history and benchmarks (no Django).

A day at a Chinese bank branch: doors open at 9:00 and tickets stop at 17:00; arrivals peak
around 10-11 and 14-15 with a dip over lunch; Mondays, Fridays and the last days of the
month are busier, weekends quieter. Three services with their own lognormal service times
(A 个人业务 short, B 对公业务 longer, C 理财/VIP longest), each member of staff a little
faster or slower than the others. Priorities: VIP, elderly, appointments booked into
half-hour slots (checked in a few minutes early, some late, some never), ordinary walk-ins.
Customers have a patience: one who runs out of it leaves; most leave silently (their number
is called and nobody comes: a *no-show*, which costs the counter a recall), some cancel
their ticket (*abandoned*, the time they left is known). Counters open and close: staggered
lunch breaks, a peak-hours counter, fewer counters at the weekend. Every call is made by
`queue_policy`, the product's one fairness rule.

The output is the replay format of `manyi queue replay`:

- EVENTS: ``ticket,service,priority,issued_at,called_at,started_at,finished_at,outcome``
  (outcome served / no_show / abandoned) plus the optional columns ``appointment_at`` (the
  booked time of an appointment), ``counter`` and ``staff`` (who called it). For an
  abandoned ticket ``finished_at`` is when the customer cancelled.
- COUNTERS: ``counter,services,opened_at,closed_at,staff`` (services in order of
  preference, separated by ``|``), one row per open period. ``closed_at`` is the planned
  time the counter stops calling; at the branch's closing time the counters still open
  serve everyone already holding a number.

Everything is drawn from a seed: the same seed, branch and date give the same day,
whatever range of days it is generated in.
"""

from __future__ import annotations

import datetime as dt
import heapq
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .queue_policy import Policy, Waiting, next_ticket, virtual_time
from .replay import COUNTER_COLUMNS as REPLAY_COUNTER_COLUMNS
from .replay import EVENT_COLUMNS as REPLAY_EVENT_COLUMNS
from .spreadsheet import frame_to_csv

SHANGHAI = ZoneInfo("Asia/Shanghai")

# the replay's files, with what a real day also knows (for the demo and the statistics)
EVENT_COLUMNS = [*REPLAY_EVENT_COLUMNS, "appointment_at", "counter", "staff"]
COUNTER_COLUMNS = [*REPLAY_COUNTER_COLUMNS, "staff"]

# Arrival intensity through the day (relative level at each time, linear in between).
DAY_SHAPE: tuple[tuple[float, float], ...] = (
    (9.0, 0.55),
    (9.5, 0.85),
    (10.0, 1.25),
    (10.5, 1.5),
    (11.0, 1.45),
    (11.5, 1.1),
    (12.0, 0.7),
    (12.5, 0.6),
    (13.0, 0.7),
    (13.5, 0.95),
    (14.0, 1.3),
    (14.5, 1.45),
    (15.0, 1.3),
    (15.5, 1.05),
    (16.0, 0.85),
    (16.5, 0.65),
    (17.0, 0.45),
)
# Monday .. Sunday
WEEKDAY_FACTOR = (1.22, 1.0, 0.95, 1.0, 1.18, 0.62, 0.5)
MONTH_END_FACTOR = 1.25  # the last three days of the month (salaries, bills, reports)


@dataclass(frozen=True)
class ServiceSpec:
    code: str
    name: str
    share: float  # of walk-in tickets
    median_s: float  # service time at the counter (lognormal)
    sigma: float
    vip: float = 0.0  # share of VIP tickets among this service's walk-ins
    elderly: float = 0.0  # ... of elderly or disabled customers
    appointments: float = 0.0  # relative share of the appointments booked for it


DEFAULT_SERVICES = (
    ServiceSpec("A", "个人业务", 0.68, 240.0, 0.55, vip=0.04, elderly=0.14, appointments=0.3),
    ServiceSpec("B", "对公业务", 0.20, 420.0, 0.60, vip=0.02, elderly=0.0, appointments=0.35),
    ServiceSpec("C", "理财/VIP", 0.12, 540.0, 0.50, vip=0.55, elderly=0.08, appointments=0.35),
)


@dataclass(frozen=True)
class CounterSpec:
    name: str
    services: tuple[str, ...]  # in order of preference
    opens: float = 9.0  # hours
    closes: float = 17.0
    lunch: tuple[float, float] | None = (12.0, 13.0)
    weekend: bool = True  # open on Saturdays and Sundays


# The pattern of a standard branch, repeated for bigger ones.
_PATTERN = (
    (("C", "A"), (11.5, 12.5), 9.0, 17.0, True),  # wealth / VIP
    (("B", "A"), (12.0, 13.0), 9.0, 17.0, True),  # corporate
    (("A", "B"), (12.5, 13.5), 9.0, 17.0, True),
    (("A",), (11.75, 12.75), 9.0, 17.0, True),
    (("C", "A"), (12.5, 13.5), 9.0, 17.0, False),
    (("A",), (12.0, 12.5), 10.0, 15.5, False),  # peak-hours counter
    (("B", "A"), (12.75, 13.75), 9.0, 17.0, False),
)


def standard_counters(n: int) -> tuple[CounterSpec, ...]:
    """`n` counters following a standard branch's pattern (one VIP counter, one corporate,
    general ones, a peak-hours one, staggered lunches)."""
    counters = []
    for k in range(n):
        services, lunch, opens, closes, weekend = _PATTERN[k % len(_PATTERN)]
        counters.append(
            CounterSpec(
                f"{k + 1:02d}",
                services,
                opens=opens,
                closes=closes,
                lunch=lunch,
                weekend=weekend,
            )
        )
    return tuple(counters)


@dataclass(frozen=True)
class BranchProfile:
    """What a branch is like: its volume, services, counters and customers."""

    code: str = "SH01"
    tickets_per_day: float = 340.0  # an ordinary Tuesday
    counters: tuple[CounterSpec, ...] = field(default_factory=lambda: standard_counters(7))
    services: tuple[ServiceSpec, ...] = DEFAULT_SERVICES
    opens: float = 9.0
    closes: float = 17.0  # no tickets after this; those holding one are still served
    appointment_share: float = 0.05  # booked appointments, relative to walk-ins
    appointment_show: float = 0.9
    patience_median_s: float = 1800.0
    patience_sigma: float = 1.0
    quick_leave: float = 0.02  # take a number and leave within minutes
    cancel_share: float = 0.25  # of those who leave, cancel their ticket (else: no-show)
    elderly_factor: float = 1.3  # elderly customers take longer
    staff_sigma: float = 0.15  # spread of staff speed (log scale)
    walk_median_s: float = 20.0  # from the call to the counter
    wrap_s: tuple[float, float] = (5.0, 15.0)  # after a service, before the next call
    recall_s: tuple[float, float] = (30.0, 90.0)  # waiting for a customer who never comes
    day_noise: float = 0.08  # day-to-day volume spread (log scale)
    policy: Policy = field(default_factory=Policy)


def branch_profile(code: str = "SH01", scale: float = 1.0, **changes) -> BranchProfile:
    """A standard branch `scale` times as busy (counters scaled alike, at least three)."""
    n = max(3, round(7 * scale))
    profile = BranchProfile(code=code, tickets_per_day=340.0 * n / 7, counters=standard_counters(n))
    return replace(profile, **changes)


def big_branch(code: str = "BIG", tickets: float = 5000.0) -> BranchProfile:
    """A very large branch (a city's main hall): `tickets` on an ordinary day, quick
    services and as many counters as it needs; the replay benchmark's day."""
    services = (
        ServiceSpec("A", "个人业务", 0.72, 150.0, 0.55, vip=0.04, elderly=0.12, appointments=0.3),
        ServiceSpec("B", "对公业务", 0.18, 260.0, 0.55, vip=0.02, appointments=0.35),
        ServiceSpec("C", "理财/VIP", 0.10, 330.0, 0.50, vip=0.55, elderly=0.08, appointments=0.35),
    )
    n = max(3, round(tickets * 0.0118))  # staffed like the standard branch for its work
    return BranchProfile(
        code=code,
        tickets_per_day=tickets,
        counters=standard_counters(n),
        services=services,
    )


@dataclass
class Day:
    """One branch day (or a run of days) in the replay format."""

    events: pd.DataFrame
    counters: pd.DataFrame

    def write_csv(self, events_path: str | Path, counters_path: str | Path) -> None:
        _to_csv(self.events, events_path)
        _to_csv(self.counters, counters_path)


def _to_csv(frame: pd.DataFrame, path: str | Path) -> None:
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            values = out[column]
            text = values.dt.strftime("%Y-%m-%dT%H:%M:%S%z")
            # +0800 -> +08:00 (ISO 8601 extended, what datetime.fromisoformat writes)
            text = text.str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
            out[column] = text.where(values.notna(), "")
    frame_to_csv(out, path, index=False)


def volume_factor(day: dt.date) -> float:
    """How busy a date is relative to an ordinary Tuesday."""
    factor = WEEKDAY_FACTOR[day.weekday()]
    next_month = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if (next_month - day).days <= 3:
        factor *= MONTH_END_FACTOR
    return factor


def _seed(*parts: object) -> list[int]:
    return [zlib.crc32(str(p).encode()) for p in parts]


def _staff_speeds(profile: BranchProfile, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(_seed("staff", seed, profile.code))
    n = len(profile.counters) + 2
    speeds = np.exp(rng.normal(0.0, profile.staff_sigma, n))
    return {f"{profile.code}-{k + 1:02d}": float(s) for k, s in enumerate(speeds)}


def _arrival_times(rng: np.random.Generator, n: int, opens: float, closes: float) -> np.ndarray:
    hours = np.array([h for h, _ in DAY_SHAPE])
    level = np.array([v for _, v in DAY_SHAPE])
    grid = np.linspace(opens, closes, 481)
    density = np.interp(grid, hours, level)
    cumulative = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2)])
    cumulative /= cumulative[-1]
    times = np.interp(rng.random(n), cumulative, grid) * 3600.0
    return np.sort(np.floor(times))


@dataclass
class _Raw:
    """A simulated day as plain columns (seconds since local midnight)."""

    ticket: list[str]
    service: list[str]
    priority: list[str]
    times: np.ndarray  # n x 5: issued, called, started, finished, appointment (nan if none)
    outcome: list[str]
    counter: list[str]
    staff: list[str]
    periods: list[tuple[str, str, float, float, str]]  # counter, services, open, close, staff


def _simulate(profile: BranchProfile, date: dt.date, seed: int, scale: float) -> _Raw:
    rng = np.random.default_rng(_seed("day", seed, profile.code, date.toordinal()))
    policy = profile.policy
    weekend = date.weekday() >= 5
    volume = profile.tickets_per_day * scale * volume_factor(date)
    volume *= float(np.exp(rng.normal(0.0, profile.day_noise)))
    opens_s, closes_s = profile.opens * 3600.0, profile.closes * 3600.0

    services = profile.services
    codes = [s.code for s in services]
    n_walk = int(rng.poisson(volume))
    arrivals = _arrival_times(rng, n_walk, profile.opens, profile.closes)
    shares = np.array([s.share for s in services])
    svc = rng.choice(len(services), n_walk, p=shares / shares.sum())
    u = rng.random(n_walk)
    vip = np.array([s.vip for s in services])[svc]
    elderly = np.array([s.elderly for s in services])[svc]
    morning = arrivals < 11.5 * 3600.0
    elderly = np.where(morning, elderly * 1.5, elderly * 0.75)
    prio = np.where(u < vip, "vip", np.where(u < vip + elderly, "elderly", "ordinary"))
    appointment_at = np.full(n_walk, np.nan)

    # appointments: booked into half-hour slots, checked in early (some late, some never)
    n_booked = int(rng.poisson(volume * profile.appointment_share))
    slots = np.arange(profile.opens + 0.5, profile.closes - 0.49, 0.5)
    weights = np.interp(slots, [h for h, _ in DAY_SHAPE], [v for _, v in DAY_SHAPE])
    booked = rng.choice(slots, n_booked, p=weights / weights.sum()) * 3600.0
    app_share = np.array([s.appointments for s in services])
    app_svc = rng.choice(len(services), n_booked, p=app_share / app_share.sum())
    early = rng.normal(480.0, 300.0, n_booked)  # most come about eight minutes early
    late = rng.random(n_booked) < 0.08
    early = np.where(late, -rng.uniform(0.0, 1200.0, n_booked), early)
    check_in = np.clip(np.floor(booked - early), opens_s, closes_s - 1.0)
    comes = rng.random(n_booked) < profile.appointment_show
    arrivals = np.concatenate([arrivals, check_in[comes]])
    svc = np.concatenate([svc, app_svc[comes]])
    prio = np.concatenate([prio, np.full(int(comes.sum()), "appointment")])
    appointment_at = np.concatenate([appointment_at, booked[comes]])
    order = np.argsort(arrivals, kind="stable")
    arrivals, svc, prio, appointment_at = (
        arrivals[order],
        svc[order],
        prio[order],
        appointment_at[order],
    )
    n = len(arrivals)

    # patience: who would leave, and when; of those, who cancels (else a no-show)
    patience = profile.patience_median_s * np.exp(rng.normal(0.0, profile.patience_sigma, n))
    patience = np.where(prio == "appointment", patience * 1.5, patience)
    quick = rng.random(n) < profile.quick_leave
    patience = np.where(quick, rng.uniform(60.0, 600.0, n), patience)
    cancels = rng.random(n) < profile.cancel_share
    walk = profile.walk_median_s * np.exp(rng.normal(0.0, 0.4, n))
    base = np.array([s.median_s for s in services])[svc] * np.exp(
        rng.normal(0.0, 1.0, n) * np.array([s.sigma for s in services])[svc]
    )
    base = np.where(prio == "elderly", base * profile.elderly_factor, base)
    wrap = rng.uniform(*profile.wrap_s, n)
    recall = rng.uniform(*profile.recall_s, n)

    # tickets and their numbers (A001, B001 ...)
    count = dict.fromkeys(codes, 0)
    tickets, service_codes, waitings = [], [], []
    for i in range(n):
        code = codes[svc[i]]
        count[code] += 1
        number = f"{code}{count[code]:03d}"
        tickets.append(number)
        service_codes.append(code)
        appt = None if np.isnan(appointment_at[i]) else float(appointment_at[i])
        waitings.append(Waiting(number, code, str(prio[i]), float(arrivals[i]), appt))

    # counters and staff for the day
    speeds = _staff_speeds(profile, seed)
    staff_names = list(speeds)
    day_rng = np.random.default_rng(_seed("roster", seed, profile.code, date.toordinal()))
    day_rng.shuffle(staff_names)
    specs = [c for c in profile.counters if c.weekend or not weekend]
    periods: list[tuple[int, float, float]] = []  # counter index, open, close (seconds)
    for k, spec in enumerate(specs):
        o, c = spec.opens * 3600.0, spec.closes * 3600.0
        if spec.lunch and o < spec.lunch[0] * 3600.0 and spec.lunch[1] * 3600.0 < c:
            periods.append((k, o, spec.lunch[0] * 3600.0))
            periods.append((k, spec.lunch[1] * 3600.0, c))
        else:
            periods.append((k, o, c))
    staff_of = [staff_names[k % len(staff_names)] for k in range(len(specs))]
    speed_of = [speeds[s] for s in staff_of]

    called = np.full(n, np.nan)
    started = np.full(n, np.nan)
    finished = np.full(n, np.nan)
    outcome = [""] * n
    counter_of = [""] * n
    in_queue = np.zeros(n, dtype=bool)
    heaps: dict[str, list[tuple[float, float, int]]] = {code: [] for code in codes}
    appts: dict[str, list[int]] = {code: [] for code in codes}

    # events: (time, kind, index); kinds in order of precedence at equal times
    OPEN, FREE, CLOSE, LEAVE, ARRIVE = 0, 1, 2, 3, 4
    events: list[tuple[float, int, int]] = []
    for p, (_k, o, c) in enumerate(periods):
        events.append((o, OPEN, p))
        events.append((c, CLOSE, p))
    for i in range(n):
        events.append((float(arrivals[i]), ARRIVE, i))
        if patience[i] < 8 * 3600.0 and cancels[i]:
            events.append((float(arrivals[i] + patience[i]), LEAVE, i))
    heapq.heapify(events)

    period_end = [c if c < closes_s else np.inf for (_k, _o, c) in periods]
    open_period = [-1] * len(specs)  # the period a counter is in (-1: closed)
    idle: list[int] = []  # counters open and waiting for a customer, in the order they idled
    busy = [False] * len(specs)

    def call(k: int, now: float) -> bool:
        candidates: list[Waiting] = []
        for code in specs[k].services:
            heap = heaps[code]
            while heap and not in_queue[heap[0][2]]:
                heapq.heappop(heap)
            if heap:
                candidates.append(waitings[heap[0][2]])
            pending = appts[code]
            if pending:
                pending[:] = [i for i in pending if in_queue[i]]
                if pending:
                    best = min(pending, key=lambda i: (*virtual_time(waitings[i], now, policy), i))
                    candidates.append(waitings[best])
        chosen = next_ticket(candidates, specs[k].services, now, policy)
        if chosen is None:
            return False
        i = index[chosen.ticket]
        in_queue[i] = False
        called[i] = now
        counter_of[i] = specs[k].name
        if patience[i] < now - arrivals[i]:  # left without a word: nobody comes
            outcome[i] = "no_show"
            free_at = now + np.round(recall[i])
        else:
            outcome[i] = "served"
            started[i] = np.floor(now + walk[i])
            finished[i] = np.floor(started[i] + base[i] * speed_of[k]) + 1.0
            free_at = finished[i] + np.round(wrap[i])
        busy[k] = True
        heapq.heappush(events, (float(free_at), FREE, k))
        return True

    index = {t: i for i, t in enumerate(tickets)}
    while events:
        now, kind, x = heapq.heappop(events)
        if kind == ARRIVE:
            w = waitings[x]
            in_queue[x] = True
            if w.priority == "appointment":
                appts[w.service].append(x)
            else:
                key = w.issued_at - policy.head_start_of(w.priority)
                heapq.heappush(heaps[w.service], (key, w.issued_at, x))
            for k in idle:
                if w.service in specs[k].services and call(k, now):
                    idle.remove(k)
                    break
        elif kind == LEAVE:
            if in_queue[x]:
                in_queue[x] = False
                outcome[x] = "abandoned"
                finished[x] = np.ceil(now)
        elif kind == OPEN:
            k = periods[x][0]
            open_period[k] = x
            if not busy[k] and not call(k, now):
                idle.append(k)
        elif kind == CLOSE:
            k = periods[x][0]
            if open_period[k] == x and period_end[x] != np.inf:
                open_period[k] = -1
                if k in idle:
                    idle.remove(k)
        else:  # FREE
            k = x
            busy[k] = False
            p = open_period[k]
            if p < 0 or now >= period_end[p]:
                continue  # on a break, or closed: finishes and stops calling
            if not call(k, now):
                idle.append(k)

    for i in range(n):
        if not outcome[i]:  # still waiting when every counter closed (a day too busy)
            outcome[i] = "abandoned"
            finished[i] = closes_s + 3600.0
    times = np.column_stack([arrivals, called, started, finished, appointment_at])
    staff_by_name = {spec.name: staff_of[k] for k, spec in enumerate(specs)}
    return _Raw(
        ticket=tickets,
        service=service_codes,
        priority=[str(p) for p in prio],
        times=times,
        outcome=outcome,
        counter=counter_of,
        staff=[staff_by_name.get(c, "") for c in counter_of],
        periods=[
            (specs[k].name, "|".join(specs[k].services), o, c, staff_of[k]) for (k, o, c) in periods
        ],
    )


def _frames(raws: Iterable[tuple[str, dt.date, _Raw]], with_branch: bool) -> Day:
    event_parts: dict[str, list] = {c: [] for c in EVENT_COLUMNS}
    counter_parts: dict[str, list] = {c: [] for c in COUNTER_COLUMNS}
    branches, dates, counter_branches, counter_dates = [], [], [], []
    time_blocks, counter_times = [], []
    for code, date, raw in raws:
        midnight = dt.datetime.combine(date, dt.time(), SHANGHAI).timestamp()
        event_parts["ticket"].extend(raw.ticket)
        event_parts["service"].extend(raw.service)
        event_parts["priority"].extend(raw.priority)
        event_parts["outcome"].extend(raw.outcome)
        event_parts["counter"].extend(raw.counter)
        event_parts["staff"].extend(raw.staff)
        time_blocks.append(raw.times + midnight)
        branches.extend([code] * len(raw.ticket))
        dates.extend([date] * len(raw.ticket))
        for name, services, o, c, staff in raw.periods:
            counter_parts["counter"].append(name)
            counter_parts["services"].append(services)
            counter_parts["staff"].append(staff)
            counter_times.append((o + midnight, c + midnight))
            counter_branches.append(code)
            counter_dates.append(date)
    times = np.concatenate(time_blocks) if time_blocks else np.empty((0, 5))
    for j, column in enumerate(
        ["issued_at", "called_at", "started_at", "finished_at", "appointment_at"]
    ):
        event_parts[column] = _stamps(times[:, j])
    ct = np.array(counter_times).reshape(-1, 2)
    counter_parts["opened_at"] = _stamps(ct[:, 0])
    counter_parts["closed_at"] = _stamps(ct[:, 1])
    events = pd.DataFrame(event_parts, columns=EVENT_COLUMNS)
    counters = pd.DataFrame(counter_parts, columns=COUNTER_COLUMNS)
    if with_branch:
        events.insert(0, "date", dates)
        events.insert(0, "branch", branches)
        counters.insert(0, "date", counter_dates)
        counters.insert(0, "branch", counter_branches)
    return Day(events, counters)


def _stamps(seconds: np.ndarray) -> pd.Series:
    """Epoch seconds (nan: none) as Shanghai times. (Not pd.to_datetime on floats with nan:
    its overflow check can trip on them, depending on memory alignment.)"""
    empty = np.isnan(seconds)
    nanoseconds = np.round(np.where(empty, 0.0, seconds) * 1e9).astype(np.int64)
    values = nanoseconds.view("M8[ns]").copy()
    values[empty] = np.datetime64("NaT")
    return pd.Series(pd.DatetimeIndex(values).tz_localize("UTC")).dt.tz_convert(SHANGHAI)


def branch_day(
    profile: BranchProfile | None = None,
    date: dt.date = dt.date(2026, 3, 2),
    *,
    seed: int = 0,
    scale: float = 1.0,
) -> Day:
    """One day at one branch (a Monday by default: busy)."""
    profile = profile or BranchProfile()
    return _frames([(profile.code, date, _simulate(profile, date, seed, scale))], False)


def open_days(
    start: dt.date, end: dt.date, *, weekends: bool = True, holidays=None
) -> Iterator[dt.date]:
    """The days from `start` to `end` (inclusive) a branch opens: statutory holidays closed,
    make-up working days (调休) open as weekdays. `holidays` follows
    `manyi.businesstime.engine.HolidaySource`; None uses China's published calendar where
    it knows the year."""
    if holidays is None:
        from manyi.businesstime.engine import ChinaStatutoryHolidays

        holidays = ChinaStatutoryHolidays()
    day = start
    while day <= end:
        kind = holidays.day_kind(day) if holidays.knows_year(day.year) else None
        if kind == "holiday":
            pass
        elif kind == "workday" or day.weekday() < 5 or weekends:
            yield day
        day += dt.timedelta(days=1)


def history(
    profiles: Sequence[BranchProfile] | BranchProfile,
    start: dt.date,
    end: dt.date,
    *,
    seed: int = 0,
    scale: dict[str, float] | None = None,
    weekends: bool = True,
    holidays=None,
) -> Day:
    """Every open day from `start` to `end` at each branch, in one pair of tables with
    ``branch`` and ``date`` columns first (the demo's three months of history). `scale`
    makes a branch busier or quieter by its code."""
    if isinstance(profiles, BranchProfile):
        profiles = [profiles]
    days = list(open_days(start, end, weekends=weekends, holidays=holidays))
    raws = (
        (p.code, d, _simulate(p, d, seed, (scale or {}).get(p.code, 1.0)))
        for p in profiles
        for d in days
    )
    return _frames(raws, True)
