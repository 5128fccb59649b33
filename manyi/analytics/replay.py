"""Replay a branch day to judge wait estimates honestly (no Django).

    result = replay(read_events("EVENTS.csv"), read_counters("COUNTERS.csv"))
    frame_to_csv(result.predictions, "PRED.csv", index=False)  # from .spreadsheet
    result.summary  # MAE and interval coverage, ours and the usual formula's

The day is replayed in time order. When a number is issued, the state of the branch is
rebuilt from the events strictly before that moment (numbers issued, called, finished,
cancelled; a no-show is known a minute after its call), and both estimates are made from it
alone: ours (`wait_estimate.estimate`, calibrated on the day's earlier tickets whose waits
are known by then) and the usual formula (k + 1) x AHT / s, whose interval comes from its
own earlier ratios actual / predicted, by the same rule. Nothing later is looked at.

Input (see `manyi queue replay`):

- EVENTS: ``ticket,service,priority,issued_at,called_at,started_at,finished_at,outcome``,
  outcome served / no_show / abandoned, ISO 8601 times (without an offset: Asia/Shanghai).
  Optional: ``appointment_at`` (the booked time of an appointment), ``counter`` (who called
  it: then busy counters, staff speeds and the cost of a no-show are known exactly),
  ``staff``. For an abandoned ticket ``finished_at`` is when it was cancelled; left empty,
  the branch learns the customer has gone when a later number of the same service is
  called.
- COUNTERS: ``counter,services,opened_at,closed_at`` (services in order of preference,
  separated by ``|``), one row per open period, optional ``staff``. It is read as the day's
  roster, known in the morning: breaks and later openings are planned ahead. A period
  closing at the day's last closing time keeps calling until everyone holding a number has
  been called.

Appointments are known from their check-in (the EVENTS row of a ticket); bookings that have
not checked in are not in the format, so appointments to come are taken at the day's rate.

The formula: k = the tickets ahead of it in its own line (queue_policy's order), AHT = the
day's mean counter time (call to finish) of its service so far (a prior of about six
minutes before any), s = the counters open now that serve the service (at least one).

Output (PRED.csv): ``ticket,predicted_wait_s,low_s,high_s,baseline_wait_s,baseline_low_s,
baseline_high_s`` and, for checking, ``actual_wait_s,outcome`` (not used by any prediction).

Scoring: the actual wait is called_at - issued_at for served and no-show tickets. Abandoned
tickets never reach a counter, so their wait is unknown (censored): they get predictions
but are left out of MAE and coverage (their count is reported).
"""

from __future__ import annotations

import csv
import datetime as dt
import heapq
import io
import itertools
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .queue_policy import PRIORITIES, Policy, Waiting
from .wait_estimate import (
    HIGH,
    LOW,
    CounterNow,
    Learner,
    QueueState,
    baseline,
    calibration_at,
    estimate_many,
    from_grid,
    km_quantiles,
    pits_of,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
EVENT_COLUMNS = (
    "ticket",
    "service",
    "priority",
    "issued_at",
    "called_at",
    "started_at",
    "finished_at",
    "outcome",
)
COUNTER_COLUMNS = ("counter", "services", "opened_at", "closed_at")
OUTCOMES = ("served", "no_show", "abandoned")
NO_SHOW_KNOWN_AFTER_S = 60.0  # a no-show is marked after a minute's recall
CALIBRATION_WINDOW = 400  # earlier tickets used to calibrate (the most recent ones)
PRED_COLUMNS = [
    "ticket",
    "predicted_wait_s",
    "low_s",
    "high_s",
    "baseline_wait_s",
    "baseline_low_s",
    "baseline_high_s",
    "actual_wait_s",
    "outcome",
]


class ReplayError(ValueError):
    """Input a user can fix; `zh` is the message in Chinese."""

    def __init__(self, message: str, *, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True)
class TicketRow:
    """One ticket of the day (times in epoch seconds; None when empty)."""

    ticket: str
    service: str
    priority: str
    issued_at: float
    called_at: float | None
    started_at: float | None
    finished_at: float | None
    outcome: str
    appointment_at: float | None = None
    counter: str | None = None
    staff: str | None = None
    line: int = 0  # in the file, for messages

    @property
    def wait(self) -> float | None:
        """The actual wait, for served and no-show tickets."""
        if self.outcome in ("served", "no_show") and self.called_at is not None:
            return self.called_at - self.issued_at
        return None


@dataclass(frozen=True)
class PeriodRow:
    counter: str
    services: tuple[str, ...]
    opened_at: float
    closed_at: float
    staff: str | None = None


# --------------------------------------------------------------------------- reading


def _records(source: Any, name: str) -> tuple[list[str], list[dict[str, Any]]]:
    """Column names and rows (as dicts) from a path, a text stream or a DataFrame."""
    if isinstance(source, pd.DataFrame):
        rows = source.to_dict("records")
        return [str(c) for c in source.columns], rows
    if isinstance(source, str | Path):
        try:
            with open(source, encoding="utf-8-sig", newline="") as handle:
                return _records(io.StringIO(handle.read()), name)
        except FileNotFoundError:
            raise ReplayError(
                f"{name}: file not found: {source}", zh=f"{name}：找不到文件 {source}"
            ) from None
        except UnicodeDecodeError:
            raise ReplayError(
                f"{name}: not UTF-8 text: {source}", zh=f"{name}：文件不是 UTF-8 文本：{source}"
            ) from None
    reader = csv.DictReader(source)
    columns = [c.strip() for c in (reader.fieldnames or [])]
    reader.fieldnames = columns
    return columns, list(reader)


def _require(columns: Sequence[str], required: Sequence[str], name: str) -> None:
    missing = [c for c in required if c not in columns]
    if missing:
        listed = ", ".join(missing)
        raise ReplayError(
            f"{name}: missing column(s): {listed} (needs {', '.join(required)})",
            zh=f"{name} 缺少列：{listed}（需要 {', '.join(required)}）",
        )


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if value is pd.NaT:
        return True
    return isinstance(value, str) and not value.strip()


def _time(value: Any, column: str, line: int, name: str) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        moment = value
    else:
        text = str(value).strip()
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ReplayError(
                f"{name} line {line}: {column} {text!r} is not a time "
                "(ISO 8601, e.g. 2026-03-02T09:15:00+08:00)",
                zh=f"{name} 第 {line} 行：{column} 的值“{text}”不是时间"
                "（ISO 8601 格式，例如 2026-03-02T09:15:00+08:00）",
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.timestamp()


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


def read_events(source: str | Path | TextIO | pd.DataFrame) -> list[TicketRow]:
    """The EVENTS table, checked: a clear `ReplayError` for a missing column, a bad time, an
    unknown outcome or priority, or times that contradict each other."""
    name = "EVENTS"
    columns, rows = _records(source, name)
    _require(columns, EVENT_COLUMNS, name)
    tickets: list[TicketRow] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows, start=2):
        ticket = _text(row.get("ticket"))
        if ticket is None:
            raise ReplayError(
                f"{name} line {n}: no ticket number", zh=f"{name} 第 {n} 行：缺少号码"
            )
        if ticket in seen:
            raise ReplayError(
                f"{name} line {n}: ticket {ticket} already on line {seen[ticket]}",
                zh=f"{name} 第 {n} 行：号码 {ticket} 与第 {seen[ticket]} 行重复",
            )
        seen[ticket] = n
        service = _text(row.get("service"))
        if service is None:
            raise ReplayError(f"{name} line {n}: no service", zh=f"{name} 第 {n} 行：缺少业务类型")
        outcome = (_text(row.get("outcome")) or "").lower()
        if outcome not in OUTCOMES:
            raise ReplayError(
                f"{name} line {n}: unknown outcome {row.get('outcome')!r} "
                "(served, no_show or abandoned)",
                zh=f"{name} 第 {n} 行：无法识别的结果“{row.get('outcome')}”"
                "（应为 served、no_show 或 abandoned）",
            )
        priority = (_text(row.get("priority")) or "ordinary").lower()
        if priority not in PRIORITIES:
            raise ReplayError(
                f"{name} line {n}: unknown priority {row.get('priority')!r} "
                f"({', '.join(PRIORITIES)})",
                zh=f"{name} 第 {n} 行：无法识别的优先级“{row.get('priority')}”"
                f"（应为 {'、'.join(PRIORITIES)}）",
            )
        times = {c: _time(row.get(c), c, n, name) for c in EVENT_COLUMNS[3:7]}
        appointment = _time(row.get("appointment_at"), "appointment_at", n, name)
        issued, called = times["issued_at"], times["called_at"]
        if issued is None:
            raise ReplayError(
                f"{name} line {n}: issued_at is empty", zh=f"{name} 第 {n} 行：issued_at 为空"
            )
        if outcome in ("served", "no_show") and called is None:
            raise ReplayError(
                f"{name} line {n}: a {outcome} ticket needs called_at",
                zh=f"{name} 第 {n} 行：结果为 {outcome} 的号需要 called_at",
            )
        if outcome == "abandoned" and called is not None:
            raise ReplayError(
                f"{name} line {n}: an abandoned ticket was never called (called_at must be empty)",
                zh=f"{name} 第 {n} 行：放弃的号不会被叫到（called_at 应为空）",
            )
        order_ = [("issued_at", issued), ("called_at", called)]
        if outcome == "served":
            order_ += [("started_at", times["started_at"]), ("finished_at", times["finished_at"])]
        if outcome == "abandoned":
            order_ += [("finished_at", times["finished_at"])]
        known = [(c, v) for c, v in order_ if v is not None]
        for (c1, v1), (c2, v2) in itertools.pairwise(known):
            if v2 < v1:
                raise ReplayError(
                    f"{name} line {n}: {c2} is before {c1}",
                    zh=f"{name} 第 {n} 行：{c2} 早于 {c1}",
                )
        tickets.append(
            TicketRow(
                ticket=ticket,
                service=service,
                priority=priority,
                issued_at=issued,
                called_at=called,
                started_at=times["started_at"],
                finished_at=times["finished_at"],
                outcome=outcome,
                appointment_at=appointment,
                counter=_text(row.get("counter")),
                staff=_text(row.get("staff")),
                line=n,
            )
        )
    if not tickets:
        raise ReplayError(f"{name}: no tickets", zh=f"{name}：没有任何号")
    return tickets


def read_counters(source: str | Path | TextIO | pd.DataFrame) -> list[PeriodRow]:
    """The COUNTERS table (the day's roster), checked like `read_events`."""
    name = "COUNTERS"
    columns, rows = _records(source, name)
    _require(columns, COUNTER_COLUMNS, name)
    periods = []
    for n, row in enumerate(rows, start=2):
        counter = _text(row.get("counter"))
        if counter is None:
            raise ReplayError(f"{name} line {n}: no counter", zh=f"{name} 第 {n} 行：缺少窗口")
        services = tuple(s.strip() for s in (_text(row.get("services")) or "").split("|"))
        services = tuple(s for s in services if s)
        if not services:
            raise ReplayError(
                f"{name} line {n}: counter {counter} serves no service (e.g. A|B)",
                zh=f"{name} 第 {n} 行：窗口 {counter} 没有业务类型（例如 A|B）",
            )
        opened = _time(row.get("opened_at"), "opened_at", n, name)
        closed = _time(row.get("closed_at"), "closed_at", n, name)
        if opened is None or closed is None:
            column = "opened_at" if opened is None else "closed_at"
            raise ReplayError(
                f"{name} line {n}: {column} is empty", zh=f"{name} 第 {n} 行：{column} 为空"
            )
        if closed <= opened:
            raise ReplayError(
                f"{name} line {n}: closed_at is not after opened_at",
                zh=f"{name} 第 {n} 行：closed_at 不晚于 opened_at",
            )
        periods.append(PeriodRow(counter, services, opened, closed, _text(row.get("staff"))))
    if not periods:
        raise ReplayError(f"{name}: no counters", zh=f"{name}：没有任何窗口")
    return periods


# --------------------------------------------------------------------------- the replay


@dataclass
class Replay:
    predictions: pd.DataFrame  # PRED_COLUMNS, one row per ticket in the order issued
    summary: dict[str, Any]


_ISSUE, _LEAVE, _CALL, _FINISH, _NO_SHOW = 0, 1, 2, 3, 4


class _Branch:
    """The branch as known at the current moment of the replay: only what events so far
    have told (the ticket rows are looked at only through the events)."""

    def __init__(self, tickets: Sequence[TicketRow], periods: Sequence[PeriodRow]) -> None:
        self.tickets = tickets
        self.policy = Policy()
        self.learner = Learner(since=min(p.opened_at for p in periods))
        self.waiting: dict[int, Waiting] = {}
        self.closes_at = max(p.closed_at for p in periods)
        self.roster: dict[str, list[PeriodRow]] = {}
        for p in sorted(periods, key=lambda p: p.opened_at):
            self.roster.setdefault(p.counter, []).append(p)
        # who called each ticket is known while every call so far says so (judged from the
        # calls seen, not from the file: the replay never looks ahead)
        self.by_counter = True
        self.last_call: dict[str, int] = {}  # counter -> ticket index it called last
        self.in_service: dict[int, float] = {}  # ticket index -> called at (not yet done)
        self.finished_at: dict[int, float] = {}
        self.no_show_known: set[int] = set()
        self.silent_abandon: dict[str, list[int]] = {}  # by service, waiting, no leave time
        self._boundaries = sorted({p.opened_at for p in periods} | {p.closed_at for p in periods})
        self._roster_cache: tuple[float, float, list] | None = None
        self._counter_objects: dict[str, tuple[tuple, CounterNow]] = {}

    # events
    def issue(self, i: int) -> None:
        t = self.tickets[i]
        self.waiting[i] = Waiting(t.ticket, t.service, t.priority, t.issued_at, t.appointment_at)
        self.learner.issued(t.service, t.priority, t.issued_at)
        if t.outcome == "abandoned" and t.finished_at is None:
            self.silent_abandon.setdefault(t.service, []).append(i)

    def leave(self, i: int, at: float) -> None:
        if self.waiting.pop(i, None) is not None:
            self.learner.cancelled(self.tickets[i].issued_at, at)

    def call(self, i: int, at: float) -> None:
        t = self.tickets[i]
        if not t.counter:
            self.by_counter = False
        self.waiting.pop(i, None)
        self.learner.called(t.issued_at, at)
        self.in_service[i] = at
        # the customers who left without a word before this one are passed over now
        pending = self.silent_abandon.get(t.service, [])
        for j in [j for j in pending if self.tickets[j].issued_at < t.issued_at]:
            pending.remove(j)
            if self.waiting.pop(j, None) is not None:
                self.learner.cancelled(self.tickets[j].issued_at, at)
        if t.counter:
            previous = self.last_call.get(t.counter)
            if previous is not None:
                if previous in self.no_show_known or self.tickets[previous].outcome == "no_show":
                    if at - self.tickets[previous].called_at < 600:
                        self.learner.no_show_cost(at - self.tickets[previous].called_at)
                elif previous in self.finished_at:
                    gap = at - self.finished_at[previous]
                    if 0 <= gap < 120:
                        self.learner.turnaround(gap)
            self.last_call[t.counter] = i

    def finish(self, i: int, at: float) -> None:
        t = self.tickets[i]
        self.in_service.pop(i, None)
        self.finished_at[i] = at
        staff = t.staff or self._staff(t.counter, t.called_at)
        self.learner.finished(t.service, t.priority, staff, at - t.called_at)

    def no_show(self, i: int) -> None:
        self.in_service.pop(i, None)
        self.no_show_known.add(i)
        t = self.tickets[i]
        self.learner.no_show(t.issued_at, t.called_at)

    def _staff(self, counter: str | None, at: float | None) -> str | None:
        if counter is None or at is None:
            return None
        for p in self.roster.get(counter, []):
            if p.opened_at <= at < p.closed_at:
                return p.staff
        periods = self.roster.get(counter, [])
        return periods[-1].staff if periods else None

    # the state now
    def _roster_at(self, now: float) -> list[tuple[str, tuple, PeriodRow, bool]]:
        """Per counter still to open or open now: its schedule from now, the period shown
        (current or next) and whether it is open now; cached until a period opens or
        closes."""
        if self._roster_cache is not None and self._roster_cache[0] <= now < self._roster_cache[1]:
            return self._roster_cache[2]
        rows = []
        for counter, periods in self.roster.items():
            schedule = tuple(
                (p.opened_at, None if p.closed_at >= self.closes_at else p.closed_at)
                for p in periods
                if p.closed_at > now
            )
            if not schedule:
                continue
            current = next((p for p in periods if p.opened_at <= now < p.closed_at), None)
            shown = current or next(p for p in periods if p.closed_at > now)
            rows.append((counter, schedule, shown, current is not None))
        earlier = [b for b in self._boundaries if b <= now]
        later = [b for b in self._boundaries if b > now]
        self._roster_cache = (max(earlier, default=-math.inf), min(later, default=math.inf), rows)
        return rows

    def counters(self, now: float) -> list[CounterNow]:
        busy: dict[str, tuple[float, str, str | None]] = {}
        if self.by_counter:
            for counter, i in self.last_call.items():
                if i in self.in_service:
                    t = self.tickets[i]
                    busy[counter] = (self.in_service[i], t.service, t.staff)
        out = []
        free_names = []
        for counter, schedule, shown, open_now in self._roster_at(now):
            staff = shown.staff
            since, service = None, None
            if counter in busy:
                since, service, called_staff = busy[counter]
                staff = called_staff or staff
            elif open_now:
                free_names.append(len(out))
            key = (shown.services, staff, since, service, schedule)
            cached = self._counter_objects.get(counter)
            if cached is None or cached[0] != key:  # (unchanged: the same object again)
                cached = (key, CounterNow(counter, *key))
                self._counter_objects[counter] = cached
            out.append(cached[1])
        if not self.by_counter:  # who is busy is not recorded: fill counters greedily
            for i, since in sorted(self.in_service.items(), key=lambda kv: kv[1]):
                service = self.tickets[i].service
                choices = [k for k in free_names if service in out[k].services]
                if not choices:
                    continue
                k = min(choices, key=lambda k: out[k].services.index(service))
                free_names.remove(k)
                c = out[k]
                out[k] = CounterNow(c.counter, c.services, c.staff, since, service, c.schedule)
        return out

    def state(self, now: float) -> QueueState:
        waiting = list(self.waiting.values())
        recent = self.learner.recent(now, [w.issued_at for w in waiting])
        return QueueState(
            waiting=waiting,
            counters=self.counters(now),
            recent=recent,
            appointments_due=None,
            closes_at=self.closes_at,
            policy=self.policy,
        )

    def open_serving(self, service: str, now: float) -> int:
        return sum(
            1
            for periods in self.roster.values()
            for p in periods
            if p.opened_at <= now < p.closed_at and service in p.services
        )


def _events(tickets: Sequence[TicketRow]) -> list[tuple[float, int, int]]:
    events = []
    for i, t in enumerate(tickets):
        events.append((t.issued_at, _ISSUE, i))
        if t.called_at is not None:
            events.append((t.called_at, _CALL, i))
        if t.outcome == "served" and t.finished_at is not None:
            events.append((t.finished_at, _FINISH, i))
        if t.outcome == "no_show":
            events.append((t.called_at + NO_SHOW_KNOWN_AFTER_S, _NO_SHOW, i))
        if t.outcome == "abandoned" and t.finished_at is not None:
            events.append((t.finished_at, _LEAVE, i))
    heapq.heapify(events)
    return [heapq.heappop(events) for _ in range(len(events))]


def replay(
    tickets: Sequence[TicketRow],
    periods: Sequence[PeriodRow],
    *,
    draws: int = 50,
    seed: int = 0,
    batch: int = 64,
    progress: Callable[[int, int], None] | None = None,
) -> Replay:
    """Replay a day: for every ticket, our estimate and the usual formula's, each from what
    was known when the number was issued; then MAE and interval coverage of both.
    `draws` simulated futures per ticket (fewer for long queues, at least 24: see
    `estimate_many`'s budget), simulated `batch` tickets at a time; `progress(done, total)`
    is called as numbers are issued."""
    served_services = {s for p in periods for s in p.services}
    for t in tickets:
        if t.service not in served_services:
            raise ReplayError(
                f"EVENTS line {t.line}: no counter in COUNTERS serves service {t.service}",
                zh=f"EVENTS 第 {t.line} 行：COUNTERS 中没有窗口办理业务 {t.service}",
            )
    branch = _Branch(tickets, periods)
    events = _events(tickets)
    issue_order: list[int] = []
    baselines: list[tuple[int, float, int]] = []  # k, aht, s

    def requests() -> Iterator[tuple[QueueState, str, float]]:
        for at, kind, i in events:
            if kind == _ISSUE:
                state = branch.state(at)
                t = tickets[i]
                target = Waiting(t.ticket, t.service, t.priority, t.issued_at, t.appointment_at)
                aht = branch.learner.service_times().aht(t.service)
                baselines.append((0, aht, branch.open_serving(t.service, at)))
                issue_order.append(i)
                if progress is not None:
                    progress(len(issue_order), len(tickets))
                yield state, target, at
                branch.issue(i)
            elif kind == _CALL:
                branch.call(i, at)
            elif kind == _FINISH:
                branch.finish(i, at)
            elif kind == _NO_SHOW:
                branch.no_show(i)
            else:
                branch.leave(i, at)

    raw = estimate_many(requests(), draws=draws, seed=seed, batch=batch, budget=draws * 40)
    return _score(tickets, issue_order, raw, baselines)


def _score(tickets, issue_order, raw, baselines) -> Replay:
    n = len(issue_order)
    rows = [tickets[i] for i in issue_order]
    issued = np.array([t.issued_at for t in rows])
    called = [t.called_at for t in rows]
    called_ = np.array([np.inf if c is None else c for c in called])
    # when the branch knows a ticket will never be called: its cancellation
    gone = [t.finished_at if t.outcome == "abandoned" else None for t in rows]
    gone_ = np.array([np.inf if g is None else g for g in gone])
    actual = np.where(np.isfinite(called_), called_ - issued, np.nan)
    grids = np.array([e.grid for e in raw])
    # where each actual wait fell in its prediction (looked at only once it is known)
    pits = pits_of(grids, np.nan_to_num(actual, nan=0.0))
    base_point = np.array(
        [baseline(e.ahead, aht, s).wait_s for e, (_, aht, s) in zip(raw, baselines, strict=True)]
    )
    ours = np.zeros((n, 3))
    theirs = np.zeros((n, 3))
    for j in range(n):
        now = issued[j]
        calibration = calibration_at(
            now,
            issued[:j],
            grids[:j],
            called_[:j],
            gone_[:j],
            ours[:j, 1],
            ours[:j, 2],
            pits=pits[:j],
        )
        e = from_grid(grids[j], calibration, raw[j].ahead)
        ours[j] = (e.wait_s, e.low_s, e.high_s)
        # the formula's interval: its own earlier ratios actual / predicted (the same
        # censoring rule: still waiting counts as at least the wait so far)
        lo = max(0, j - CALIBRATION_WINDOW)
        resolved = called_[lo:j] < now
        use = resolved | ~(gone_[lo:j] < now)
        waited = np.where(resolved, called_[lo:j], now) - issued[lo:j]
        spread = (0.5, 1.5)
        if int(resolved.sum()) >= 20:
            ratio = waited / base_point[lo:j]
            q = km_quantiles(ratio[use], ~resolved[use], (LOW, HIGH))
            if q[0] is not None and q[1] is not None:
                spread = (q[0], q[1])
        b = baseline(raw[j].ahead, baselines[j][1], baselines[j][2], spread)
        theirs[j] = (b.wait_s, b.low_s, b.high_s)

    frame = pd.DataFrame(
        {
            "ticket": [t.ticket for t in rows],
            "predicted_wait_s": ours[:, 0].round(1),
            "low_s": ours[:, 1].round(1),
            "high_s": ours[:, 2].round(1),
            "baseline_wait_s": theirs[:, 0].round(1),
            "baseline_low_s": theirs[:, 1].round(1),
            "baseline_high_s": theirs[:, 2].round(1),
            "actual_wait_s": np.round(actual, 1),
            "outcome": [t.outcome for t in rows],
        },
        columns=PRED_COLUMNS,
    )
    return Replay(frame, summarise(frame))


def summarise(frame: pd.DataFrame) -> dict[str, Any]:
    """MAE (seconds) and 80% interval coverage of both methods over served and no-show
    tickets; abandoned ones are counted and left out."""
    scored = frame[frame["outcome"].isin(["served", "no_show"])]
    y = scored["actual_wait_s"].to_numpy(dtype=float)

    def figures(point: str, low: str, high: str) -> dict[str, float]:
        p = scored[point].to_numpy(dtype=float)
        lo = scored[low].to_numpy(dtype=float)
        hi = scored[high].to_numpy(dtype=float)
        if not len(y):
            return {"mae_s": math.nan, "coverage": math.nan, "width_s": math.nan}
        return {
            "mae_s": float(np.mean(np.abs(p - y))),
            "coverage": float(np.mean((lo <= y + 1e-6) & (y <= hi + 1e-6))),
            "width_s": float(np.median(hi - lo)),
            "bias_s": float(np.mean(p - y)),
        }

    return {
        "tickets": len(frame),
        "scored": len(scored),
        "abandoned_excluded": int((frame["outcome"] == "abandoned").sum()),
        "mean_wait_s": float(np.mean(y)) if len(y) else math.nan,
        "ours": figures("predicted_wait_s", "low_s", "high_s"),
        "baseline": figures("baseline_wait_s", "baseline_low_s", "baseline_high_s"),
    }


def replay_files(
    events: str | Path | TextIO | pd.DataFrame,
    counters: str | Path | TextIO | pd.DataFrame,
    **options: Any,
) -> Replay:
    return replay(read_events(events), read_counters(counters), **options)
