"""Which way to queue at a branch: a discrete-event simulation (SimPy) of one branch day.

A branch manager choosing between one shared line, a line per counter and take-a-number
wants to see the waits each would give *their* customers, not a textbook's. So the day is
built from the branch's own arrival pattern (mean arrivals per interval, per service type,
with its mix of VIP / elderly / appointment / ordinary customers) and its own service times
(the history's seconds, resampled), and served by its own counters (the services each one
takes, in order of preference, and when it opens and closes).

    result = simulate(scenario, replications=20, seed=7)
    result.to_dict()   # JSON for the page: per design the mean and 90th-percentile wait,
                       # the share served within the target, abandonment, waits by priority
                       # class and the wait by time of day, each with a 95% interval

The three designs, on the same customers (common random numbers: replication r of every
design sees the very same arrivals, service times and patience, so their differences are
the design's, and the paired differences have tight intervals):

- "shared": one serpentine line, first come first served; a free counter takes the
  customer who came first among those it can serve.
- "per_counter": a line in front of each counter. An arriving customer joins the shortest
  line among the open counters that serve their service (length = people waiting plus the
  one being served; ties go to the counter that prefers the service, then the first
  counter). Jockeying (on by default, `Scenario.jockeying`): when a counter frees, the last
  person of a line at least two longer than its own moves over, if that counter can serve
  them (the classic rule; nobody stands in a line while a counter that can serve them is
  idle). A counter that closes takes no newcomers but serves its own line.
- "take_a_number": a virtual queue; a free counter calls `queue_policy.next_ticket` (head
  starts for VIP and elderly, appointments due now first, its services in order of
  preference). A ticket whose holder is gone (a no-show, or a customer who gave up
  waiting) still gets called: the counter loses `no_show_call_seconds` on it.

Choices worth knowing when reading the figures:
- Times are seconds from the day's start. Arrivals are a Poisson process whose rate is
  constant within each interval. Doors close at the end of the last interval; counters
  that stay open to then (close None, or at or after it) serve everyone already inside.
  A counter that closes earlier stops calling; anyone left with no counter gives up (with
  a patience) or is counted "unserved".
- Jockeying makes the lines per counter nearly as good as one shared line (both then keep
  every counter busy while someone it can serve waits): turn it off to see the lines
  customers keep to. With one kind of service and identical counters the shared line is
  never worse; with counters of different skills either can come out ahead on the mean.
- A wait is from arrival (ticket issued) to being called; waits are of served customers.
  "within_target" is the share of those served within the target among everyone who was
  served or gave up (giving up counts as a miss).
- Patience (optional) is the same in every design. No-shows take a number and leave: with
  take-a-number they cost the counter a call; in a physical line they just walk away.
- Appointment customers arrive `appointment_lead` (uniform range, seconds) before their
  time. In the physical lines they queue like anyone else.
- Replication r draws from `numpy.random.SeedSequence(seed).spawn(...)[r]`: the same seed
  gives the same result, and replication r does not depend on how many are run.
- Intervals are Student t intervals over the replications' own figures (a replication's
  mean wait, its 90th percentile, ...), so they say how sure the comparison is, not how
  spread the customers' waits are.

No Django here: the page builds the scenario from the branch's history and charts
`SimulationResult.to_dict()`.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import simpy
from scipy.special import stdtrit

from .queue_policy import PRIORITIES, Policy, Waiting, next_ticket

DESIGNS = ("shared", "per_counter", "take_a_number")
DESIGN_LABELS = {
    "shared": ("One shared line", "一条共用队列"),
    "per_counter": ("A line per counter", "每个窗口一条队"),
    "take_a_number": ("Take a number, with priorities", "取号叫号（含优先）"),
}
PRIORITY_LABELS = {
    "appointment": ("Appointment", "预约"),
    "vip": ("VIP", "贵宾"),
    "elderly": ("Elderly or disabled", "老年及残障"),
    "ordinary": ("Ordinary", "普通"),
}

_SERVED, _ABANDONED, _NO_SHOW, _UNSERVED = 1, 2, 3, 4


class SimulationInputError(ValueError):
    """A scenario that cannot be simulated; `zh` is the message in Chinese."""

    def __init__(self, message: str, *, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


# ---------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class ServiceTime:
    """How long one service takes, in seconds. Prefer the branch's own history (`sample`,
    resampled with replacement: keeps its long tail); otherwise a distribution."""

    sample: tuple[float, ...] = ()
    mean: float | None = None
    cv: float = 1.0  # lognormal only: standard deviation / mean
    distribution: str = "lognormal"  # "lognormal" or "exponential" when there is no sample

    @classmethod
    def empirical(cls, seconds: Iterable[float]) -> ServiceTime:
        return cls(sample=tuple(float(s) for s in seconds))

    @classmethod
    def lognormal(cls, mean: float, cv: float) -> ServiceTime:
        return cls(mean=mean, cv=cv, distribution="lognormal")

    @classmethod
    def exponential(cls, mean: float) -> ServiceTime:
        return cls(mean=mean, distribution="exponential")

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.sample:
            return rng.choice(np.asarray(self.sample, dtype=float), size=size)
        assert self.mean is not None
        if self.distribution == "exponential":
            return rng.exponential(self.mean, size=size)
        sigma2 = math.log1p(self.cv**2)
        return rng.lognormal(math.log(self.mean) - sigma2 / 2, math.sqrt(sigma2), size=size)


@dataclass(frozen=True)
class Service:
    """One service type's demand: mean arrivals in each interval of the day (customers per
    interval, not per hour), who they are (shares by priority class, normalised), and how
    long serving them takes."""

    name: str
    per_interval: tuple[float, ...]
    service_time: ServiceTime
    mix: Mapping[str, float] = field(default_factory=lambda: {"ordinary": 1.0})


@dataclass(frozen=True)
class Counter:
    """A counter: the services it serves in order of preference, and its hours (seconds from
    the day's start; close None = until the doors close, then until the last one is
    served)."""

    name: str
    services: tuple[str, ...]
    open: float = 0.0
    close: float | None = None


@dataclass(frozen=True)
class Patience:
    """How long customers wait before giving up: exponential with `mean` seconds, or the
    branch's observed sample (resampled)."""

    mean: float | None = None
    sample: tuple[float, ...] = ()

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.sample:
            return rng.choice(np.asarray(self.sample, dtype=float), size=size)
        assert self.mean is not None
        return rng.exponential(self.mean, size=size)


@dataclass(frozen=True)
class Scenario:
    """One branch day to simulate. Seconds throughout; shares are fractions."""

    services: tuple[Service, ...]
    counters: tuple[Counter, ...]
    interval_seconds: float = 900.0
    patience: Patience | None = None
    no_show_share: float = 0.0  # of take-a-number tickets (and walk-aways from a line)
    no_show_call_seconds: float = 30.0  # counter time lost calling a ticket nobody answers
    target_seconds: float = 600.0  # "served within 10 minutes"
    warmup_seconds: float = 0.0  # arrivals before this are served but not counted
    jockeying: bool = True  # per_counter: move to a line two shorter
    appointment_lead: tuple[float, float] = (0.0, 600.0)  # arrive this long before the time
    policy: Policy = field(default_factory=Policy)

    @property
    def intervals(self) -> int:
        return len(self.services[0].per_interval) if self.services else 0

    @property
    def day_seconds(self) -> float:
        return self.intervals * self.interval_seconds

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["policy"] = {**asdict(self.policy), "head_start": dict(self.policy.head_start)}
        return _jsonable(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """The scenario from its JSON form (as `to_dict` writes it, lists for tuples)."""
        try:
            services = tuple(
                Service(
                    name=str(s["name"]),
                    per_interval=tuple(float(x) for x in s["per_interval"]),
                    service_time=_service_time(s["service_time"]),
                    mix=dict(s.get("mix") or {"ordinary": 1.0}),
                )
                for s in data["services"]
            )
            counters = tuple(
                Counter(
                    name=str(c["name"]),
                    services=tuple(str(x) for x in c["services"]),
                    open=float(c.get("open", 0.0)),
                    close=None if c.get("close") is None else float(c["close"]),
                )
                for c in data["counters"]
            )
            patience = data.get("patience")
            policy = data.get("policy")
            extra = {
                k: data[k]
                for k in (
                    "interval_seconds",
                    "no_show_share",
                    "no_show_call_seconds",
                    "target_seconds",
                    "warmup_seconds",
                    "jockeying",
                )
                if k in data
            }
            if "appointment_lead" in data:
                low, high = data["appointment_lead"]
                extra["appointment_lead"] = (float(low), float(high))
            return cls(
                services=services,
                counters=counters,
                patience=None
                if not patience
                else Patience(
                    mean=patience.get("mean"),
                    sample=tuple(float(x) for x in patience.get("sample") or ()),
                ),
                policy=Policy(**policy) if policy else Policy(),
                **extra,
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SimulationInputError):
                raise
            raise SimulationInputError(
                f"scenario is not well formed: {exc!r}", zh=f"模拟场景格式有误：{exc!r}"
            ) from exc


def _service_time(data: Mapping[str, Any]) -> ServiceTime:
    return ServiceTime(
        sample=tuple(float(x) for x in data.get("sample") or ()),
        mean=None if data.get("mean") is None else float(data["mean"]),
        cv=float(data.get("cv", 1.0)),
        distribution=str(data.get("distribution", "lognormal")),
    )


def validate(scenario: Scenario) -> None:
    """Raise SimulationInputError (English and Chinese) for a day that cannot be run."""

    def fail(message: str, zh: str) -> None:
        raise SimulationInputError(message, zh=zh)

    if not scenario.services:
        fail("no services to simulate", "没有要模拟的业务")
    if not scenario.counters:
        fail("no counters", "没有窗口")
    if not (math.isfinite(scenario.interval_seconds) and scenario.interval_seconds > 0):
        fail("the interval must be a positive number of seconds", "时段长度必须为正的秒数")
    intervals = scenario.intervals
    if intervals == 0:
        fail("the arrival pattern has no intervals", "到达规律没有时段")
    names = [s.name for s in scenario.services]
    if len(set(names)) != len(names):
        fail("a service is listed twice", "业务重复列出")
    for s in scenario.services:
        if len(s.per_interval) != intervals:
            fail(
                f"service {s.name!r} has {len(s.per_interval)} intervals, not {intervals}",
                f"业务“{s.name}”的时段数为 {len(s.per_interval)}，应为 {intervals}",
            )
        if any(not (math.isfinite(x) and x >= 0) for x in s.per_interval):
            fail(
                f"service {s.name!r}: arrival rates must be finite and not negative",
                f"业务“{s.name}”：到达率必须为非负的有限数",
            )
        unknown = set(s.mix) - set(PRIORITIES)
        if unknown:
            fail(
                f"service {s.name!r}: unknown priority classes {sorted(unknown)}",
                f"业务“{s.name}”：未知的优先类别 {sorted(unknown)}",
            )
        shares = list(s.mix.values())
        if any(not (math.isfinite(x) and x >= 0) for x in shares) or sum(shares) <= 0:
            fail(
                f"service {s.name!r}: the priority mix needs non-negative shares",
                f"业务“{s.name}”：优先类别构成必须为非负且不全为零",
            )
        _check_service_time(s.name, s.service_time, fail)
    served = {name for c in scenario.counters for name in c.services}
    for s in scenario.services:
        if sum(s.per_interval) > 0 and s.name not in served:
            fail(
                f"no counter serves {s.name!r}, which has arrivals",
                f"没有窗口办理有客户到达的业务“{s.name}”",
            )
    counter_names = [c.name for c in scenario.counters]
    if len(set(counter_names)) != len(counter_names):
        fail("a counter is listed twice", "窗口重复列出")
    for c in scenario.counters:
        if not c.services:
            fail(f"counter {c.name!r} serves nothing", f"窗口“{c.name}”没有办理任何业务")
        if len(set(c.services)) != len(c.services):
            fail(
                f"counter {c.name!r} lists a service twice",
                f"窗口“{c.name}”重复列出业务",
            )
        if not (math.isfinite(c.open) and 0 <= c.open < scenario.day_seconds):
            fail(
                f"counter {c.name!r} must open within the day",
                f"窗口“{c.name}”的开放时间必须在营业时间之内",
            )
        if c.close is not None and not (math.isfinite(c.close) and c.close > c.open):
            fail(
                f"counter {c.name!r} closes before it opens",
                f"窗口“{c.name}”的关闭时间早于开放时间",
            )
    p = scenario.patience
    if p is not None:
        if p.sample:
            if any(not (math.isfinite(x) and x > 0) for x in p.sample):
                fail("patience times must be positive", "耐心等待时间必须为正数")
        elif p.mean is None or not (math.isfinite(p.mean) and p.mean > 0):
            fail("patience needs a positive mean or a sample", "耐心等待时间需要正的均值或样本")
    if not (0 <= scenario.no_show_share < 1):
        fail("the no-show share must be in [0, 1)", "过号未到比例必须在 0 与 1 之间")
    if not (math.isfinite(scenario.no_show_call_seconds) and scenario.no_show_call_seconds >= 0):
        fail("the no-show call time cannot be negative", "叫号未到耗时不能为负")
    if not (math.isfinite(scenario.target_seconds) and scenario.target_seconds > 0):
        fail("the target wait must be positive", "目标等待时间必须为正数")
    if not (0 <= scenario.warmup_seconds < scenario.day_seconds):
        fail("the warm-up must be within the day", "预热时间必须在营业时间之内")
    low, high = scenario.appointment_lead
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        fail("the appointment lead must be a range (low <= high)", "预约提前到达时间范围有误")


def _check_service_time(name: str, st: ServiceTime, fail: Any) -> None:
    if st.sample:
        if any(not (math.isfinite(x) and x >= 0) for x in st.sample):
            fail(
                f"service {name!r}: service times must not be negative",
                f"业务“{name}”：办理时长不能为负",
            )
        if sum(st.sample) <= 0:
            fail(f"service {name!r}: service times are all zero", f"业务“{name}”：办理时长全为零")
        return
    if st.distribution not in ("lognormal", "exponential"):
        fail(
            f"service {name!r}: unknown distribution {st.distribution!r}",
            f"业务“{name}”：未知的分布 {st.distribution!r}",
        )
    if st.mean is None or not (math.isfinite(st.mean) and st.mean > 0):
        fail(
            f"service {name!r}: needs a sample of service times or a positive mean",
            f"业务“{name}”：需要办理时长样本或正的平均值",
        )
    if not (math.isfinite(st.cv) and st.cv >= 0):
        fail(
            f"service {name!r}: the coefficient of variation cannot be negative",
            f"业务“{name}”：变异系数不能为负",
        )


# ---------------------------------------------------------------------------------------
# One day


@dataclass(frozen=True)
class Customers:
    """One replication's customers, in order of arrival (numpy arrays, one row each)."""

    arrival: np.ndarray
    service: np.ndarray  # index into scenario.services
    priority: np.ndarray  # index into queue_policy.PRIORITIES
    service_time: np.ndarray
    deadline: np.ndarray  # arrival + patience (inf: waits for ever)
    no_show: np.ndarray  # bool
    appointment_at: np.ndarray  # NaN unless an appointment


def draw_customers(scenario: Scenario, rng: np.random.Generator) -> Customers:
    """The day's customers: Poisson counts per interval, uniform times within it."""
    width = scenario.interval_seconds
    parts: list[tuple[np.ndarray, ...]] = []
    for index, s in enumerate(scenario.services):
        counts = rng.poisson(np.asarray(s.per_interval, dtype=float))
        n = int(counts.sum())
        times = np.repeat(np.arange(len(counts)) * width, counts) + rng.random(n) * width
        weights = np.array([float(s.mix.get(p, 0.0)) for p in PRIORITIES])
        priority = rng.choice(len(PRIORITIES), size=n, p=weights / weights.sum())
        duration = s.service_time.draw(rng, n) if n else np.zeros(0)
        parts.append((times, np.full(n, index), priority, duration))
    arrival = np.concatenate([p[0] for p in parts])
    order = np.argsort(arrival, kind="stable")
    arrival = arrival[order]
    n = len(arrival)
    patience = scenario.patience.draw(rng, n) if scenario.patience else np.full(n, np.inf)
    no_show = rng.random(n) < scenario.no_show_share
    low, high = scenario.appointment_lead
    lead = rng.uniform(low, high, size=n)
    priority = np.concatenate([p[2] for p in parts])[order]
    appointment = PRIORITIES.index("appointment")
    return Customers(
        arrival=arrival,
        service=np.concatenate([p[1] for p in parts])[order],
        priority=priority,
        service_time=np.concatenate([p[3] for p in parts])[order],
        deadline=arrival + patience,
        no_show=no_show,
        appointment_at=np.where(priority == appointment, arrival + lead, np.nan),
    )


@dataclass(frozen=True)
class Day:
    """What happened to each customer in one design (arrays aligned with `customers`)."""

    design: str
    customers: Customers
    called_at: np.ndarray  # NaN unless served
    counter: np.ndarray  # index into scenario.counters, -1 unless served
    outcome: np.ndarray  # 1 served, 2 abandoned, 3 no-show, 4 unserved
    busy: np.ndarray  # seconds each counter spent serving or calling
    staffed: np.ndarray  # seconds each counter was open (to its last customer)

    @property
    def wait(self) -> np.ndarray:
        return self.called_at - self.customers.arrival


class _Engine:
    """The day in SimPy: an arrival process and one process per counter; a discipline (the
    design) decides who joins which line and whom a free counter takes."""

    def __init__(self, scenario: Scenario, customers: Customers, design: str) -> None:
        self.scenario = scenario
        self.design = design
        self.env = simpy.Environment()
        self.arrival = customers.arrival.tolist()
        self.service = customers.service.tolist()
        self.priority = customers.priority.tolist()
        self.duration = customers.service_time.tolist()
        self.deadline = customers.deadline.tolist()
        self.no_show = customers.no_show.tolist()
        self.appointment_at = customers.appointment_at.tolist()
        n = len(self.arrival)
        self.called_at = [math.nan] * n
        self.counter_of = [-1] * n
        self.outcome = [0] * n
        service_index = {s.name: i for i, s in enumerate(scenario.services)}
        # a counter's services as indices, in order of preference (unknown names ignored)
        self.serves = [
            [service_index[name] for name in c.services if name in service_index]
            for c in scenario.counters
        ]
        self.rank = [{s: r for r, s in enumerate(serves)} for serves in self.serves]
        self.service_names = [s.name for s in scenario.services]
        day = scenario.day_seconds
        self.opens = [c.open for c in scenario.counters]
        # a counter open to the doors' closing serves everyone inside: it never stops
        self.stops = [
            math.inf if c.close is None or c.close >= day else c.close for c in scenario.counters
        ]
        k = len(scenario.counters)
        self.busy = [0.0] * k
        self.serving = [False] * k
        self.last_end = [0.0] * k
        self.idle: dict[int, simpy.Event] = {}
        self.discipline = _DISCIPLINES[design](self)

    def run(self) -> None:
        env = self.env
        env.process(self._arrivals())
        for k in range(len(self.opens)):
            env.process(self._counter(k))
            if self.stops[k] < math.inf:
                env.timeout(self.stops[k]).callbacks.append(lambda _e, k=k: self.wake(k))
        env.run()

    def wake(self, k: int) -> None:
        event = self.idle.pop(k, None)
        if event is not None:
            event.succeed()

    def idle_counter_for(self, service: int, now: float) -> int | None:
        """The idle counter that takes a newcomer: the one preferring the service most."""
        best, best_key = None, None
        for k in self.idle:
            rank = self.rank[k].get(service)
            if rank is None or now >= self.stops[k]:
                continue
            if best_key is None or (rank, k) < best_key:
                best, best_key = k, (rank, k)
        return best

    def _arrivals(self) -> Any:
        env, discipline = self.env, self.discipline
        for i, at in enumerate(self.arrival):
            if at > env.now:
                yield env.timeout(at - env.now)
            k = discipline.add(i, env.now)
            if k is not None:
                self.wake(k)

    def _counter(self, k: int) -> Any:
        env, discipline = self.env, self.discipline
        ghost_call = self.scenario.no_show_call_seconds
        calls_ghosts = self.design == "take_a_number"
        if self.opens[k] > 0:
            yield env.timeout(self.opens[k])
        while True:
            now = env.now
            if discipline.done(k, now):
                return
            i = discipline.take(k, now)
            if i is None:
                event = env.event()
                self.idle[k] = event
                yield event
                continue
            if calls_ghosts and (self.no_show[i] or self.deadline[i] <= now):
                # the ticket is called and nobody comes: a short loss for the counter
                self.outcome[i] = _NO_SHOW if self.no_show[i] else _ABANDONED
                self.busy[k] += ghost_call
                if ghost_call > 0:
                    yield env.timeout(ghost_call)
                self.last_end[k] = env.now
                continue
            # (a clock advanced by differences can sit an ulp before the arrival time)
            self.called_at[i] = max(now, self.arrival[i])
            self.counter_of[i] = k
            self.outcome[i] = _SERVED
            duration = self.duration[i]
            self.busy[k] += duration
            self.serving[k] = True
            yield env.timeout(duration)
            self.serving[k] = False
            self.last_end[k] = env.now

    def day(self, customers: Customers) -> Day:
        outcome = np.asarray(self.outcome, dtype=np.int8)
        pending = outcome == 0
        finite = np.isfinite(customers.deadline)
        outcome[pending & customers.no_show] = _NO_SHOW
        outcome[pending & ~customers.no_show & finite] = _ABANDONED
        outcome[pending & ~customers.no_show & ~finite] = _UNSERVED
        day = self.scenario.day_seconds
        staffed = [
            max(day if stop == math.inf else stop, end) - start
            for start, stop, end in zip(self.opens, self.stops, self.last_end, strict=True)
        ]
        return Day(
            design=self.design,
            customers=customers,
            called_at=np.asarray(self.called_at, dtype=float),
            counter=np.asarray(self.counter_of, dtype=int),
            outcome=outcome,
            busy=np.asarray(self.busy, dtype=float),
            staffed=np.asarray(staffed, dtype=float),
        )


class _Shared:
    """One line: per service a deque in order of arrival; a free counter takes the earliest
    head among the services it serves (those who gave up are skipped as they come up)."""

    def __init__(self, engine: _Engine) -> None:
        self.e = engine
        self.lines: list[deque[int]] = [deque() for _ in engine.service_names]

    def add(self, i: int, now: float) -> int | None:
        if self.e.no_show[i]:
            return None  # walks away from the line, costing nobody anything
        service = self.e.service[i]
        self.lines[service].append(i)
        return self.e.idle_counter_for(service, now)

    def take(self, k: int, now: float) -> int | None:
        deadline, arrival = self.e.deadline, self.e.arrival
        best: deque[int] | None = None
        for service in self.e.serves[k]:
            line = self.lines[service]
            while line and deadline[line[0]] <= now:
                line.popleft()
            if line and (best is None or arrival[line[0]] < arrival[best[0]]):
                best = line
        return best.popleft() if best is not None else None

    def done(self, k: int, now: float) -> bool:
        return now >= self.e.stops[k]


class _PerCounter:
    """A line per counter: join the shortest eligible line; jockey when a counter frees."""

    def __init__(self, engine: _Engine) -> None:
        self.e = engine
        self.lines: list[deque[int]] = [deque() for _ in engine.serves]

    def _live(self, k: int, now: float) -> int:
        deadline = self.e.deadline
        return sum(1 for i in self.lines[k] if deadline[i] > now)

    def _length(self, k: int, now: float) -> int:
        return self._live(k, now) + (1 if self.e.serving[k] else 0)

    def add(self, i: int, now: float) -> int | None:
        e = self.e
        if e.no_show[i]:
            return None
        service = e.service[i]
        open_now = [
            k
            for k in range(len(self.lines))
            if service in e.rank[k] and e.opens[k] <= now < e.stops[k]
        ]
        if open_now:
            k = min(open_now, key=lambda k: (self._length(k, now), e.rank[k][service], k))
        else:  # nobody serving it yet: stand at the counter that opens first
            later = [k for k in range(len(self.lines)) if service in e.rank[k] and e.opens[k] > now]
            if not later:
                return None  # left with no counter: unserved (or gives up)
            k = min(later, key=lambda k: (e.opens[k], k))
        self.lines[k].append(i)
        return k if k in e.idle else None

    def take(self, k: int, now: float) -> int | None:
        e = self.e
        line, deadline = self.lines[k], e.deadline
        while line and deadline[line[0]] <= now:
            line.popleft()
        if e.scenario.jockeying and e.opens[k] <= now < e.stops[k]:
            self._jockey(k, now)
        return line.popleft() if line else None

    def _jockey(self, k: int, now: float) -> None:
        """The last person of a line at least two longer than k's (k being free) moves to k,
        if k serves them; repeated while it pays."""
        e, deadline = self.e, self.e.deadline
        mine = self._live(k, now)
        while True:
            best, best_length = None, mine + 1
            for j, line in enumerate(self.lines):
                if j == k or not line:
                    continue
                while line and deadline[line[-1]] <= now:
                    line.pop()
                if not line or e.service[line[-1]] not in e.rank[k]:
                    continue
                length = self._length(j, now)
                if length > best_length:
                    best, best_length = j, length
            if best is None:
                return
            self.lines[k].append(self.lines[best].pop())
            mine += 1

    def done(self, k: int, now: float) -> bool:
        return now >= self.e.stops[k] and self._live(k, now) == 0


class _TakeANumber:
    """A virtual queue: a free counter calls `queue_policy.next_ticket`. Tickets stay in the
    queue until called, whether or not their holder is still there."""

    def __init__(self, engine: _Engine) -> None:
        self.e = engine
        self.waiting: dict[int, Waiting] = {}
        self.services = [tuple(engine.service_names[s] for s in serves) for serves in engine.serves]

    def add(self, i: int, now: float) -> int | None:
        e = self.e
        appointment_at = e.appointment_at[i]
        self.waiting[i] = Waiting(
            ticket=str(i),
            service=e.service_names[e.service[i]],
            priority=PRIORITIES[e.priority[i]],
            issued_at=e.arrival[i],
            appointment_at=None if math.isnan(appointment_at) else appointment_at,
        )
        return e.idle_counter_for(e.service[i], now)

    def take(self, k: int, now: float) -> int | None:
        if not self.waiting:
            return None
        chosen = next_ticket(self.waiting.values(), self.services[k], now, self.e.scenario.policy)
        if chosen is None:
            return None
        i = int(chosen.ticket)
        del self.waiting[i]
        return i

    def done(self, k: int, now: float) -> bool:
        return now >= self.e.stops[k]


_DISCIPLINES: dict[str, type[_Shared] | type[_PerCounter] | type[_TakeANumber]] = {
    "shared": _Shared,
    "per_counter": _PerCounter,
    "take_a_number": _TakeANumber,
}


def _check_design(design: str) -> None:
    if design not in DESIGNS:
        raise SimulationInputError(
            f"unknown queue design {design!r} (one of {', '.join(DESIGNS)})",
            zh=f"未知的排队方式 {design!r}（可选：{'、'.join(DESIGNS)}）",
        )


def run_day(scenario: Scenario, customers: Customers, design: str) -> Day:
    """One design's day for the given customers (no validation: `simulate` validates)."""
    _check_design(design)
    engine = _Engine(scenario, customers, design)
    engine.run()
    return engine.day(customers)


def simulate_day(scenario: Scenario, design: str, *, seed: int = 0, replication: int = 0) -> Day:
    """Replication `replication` of `simulate(scenario, seed=seed)` for one design, customer
    by customer (to look at one day, or to check the simulation)."""
    validate(scenario)
    _check_design(design)
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(replication + 1)[replication])
    return run_day(scenario, draw_customers(scenario, rng), design)


# ---------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Estimate:
    """A figure averaged over replications, with its 95% t interval (None where there were
    fewer than two replications to go on; `n` is how many had the figure)."""

    mean: float | None
    low: float | None
    high: float | None
    n: int

    @classmethod
    def of(cls, values: Iterable[float]) -> Estimate:
        x = np.asarray(list(values), dtype=float)
        x = x[np.isfinite(x)]
        n = len(x)
        if n == 0:
            return cls(None, None, None, 0)
        mean = float(x.mean())
        if n < 2:
            return cls(mean, None, None, 1)
        half = float(stdtrit(n - 1, 0.975)) * float(x.std(ddof=1)) / math.sqrt(n)
        return cls(mean, mean - half, mean + half, n)

    def contains(self, value: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= value <= self.high


@dataclass(frozen=True)
class ClassWaits:
    """Waits of one priority class (seconds), and its mean number of customers a day."""

    mean_wait: Estimate
    p90_wait: Estimate
    customers: float


@dataclass(frozen=True)
class DesignResult:
    """One design over the replications. Waits in seconds, shares as fractions."""

    design: str
    label: str
    label_zh: str
    arrivals: Estimate
    served: Estimate
    mean_wait: Estimate
    p90_wait: Estimate
    within_target: Estimate
    abandonment: Estimate
    no_show: Estimate
    unserved: Estimate
    by_priority: dict[str, ClassWaits]
    curve: list[Estimate]  # mean wait of those arriving in each interval
    utilisation: dict[str, float]  # counter -> busy share of its open time


@dataclass(frozen=True)
class Difference:
    """Paired difference a - b of a metric over the same customers (seconds or fraction)."""

    a: str
    b: str
    metric: str
    diff: Estimate


@dataclass(frozen=True)
class SimulationResult:
    replications: int
    seed: int
    target_seconds: float
    interval_seconds: float
    warmup_seconds: float
    expected_arrivals: list[float]  # the scenario's mean arrivals per interval, all services
    designs: list[DesignResult]
    differences: list[Difference]

    def design(self, name: str) -> DesignResult:
        return next(d for d in self.designs if d.design == name)

    def difference(self, a: str, b: str, metric: str = "mean_wait") -> Difference:
        return next(d for d in self.differences if (d.a, d.b, d.metric) == (a, b, metric))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: NaN never appears (None instead); the curve as parallel lists."""
        width = self.interval_seconds
        designs = []
        for d in self.designs:
            row = asdict(d)
            row["curve"] = {
                "start": [n * width for n in range(len(d.curve))],
                "mean": [e.mean for e in d.curve],
                "low": [e.low for e in d.curve],
                "high": [e.high for e in d.curve],
                "n": [e.n for e in d.curve],
            }
            row["by_priority"] = {
                p: {
                    **asdict(c),
                    "label": PRIORITY_LABELS[p][0],
                    "label_zh": PRIORITY_LABELS[p][1],
                }
                for p, c in d.by_priority.items()
            }
            designs.append(row)
        return _jsonable(
            {
                "replications": self.replications,
                "seed": self.seed,
                "target_seconds": self.target_seconds,
                "interval_seconds": width,
                "warmup_seconds": self.warmup_seconds,
                "interval_starts": [n * width for n in range(len(self.expected_arrivals))],
                "expected_arrivals": self.expected_arrivals,
                "designs": designs,
                "differences": [asdict(x) for x in self.differences],
            }
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


_METRICS = (
    "arrivals",
    "served",
    "mean_wait",
    "p90_wait",
    "within_target",
    "abandonment",
    "no_show",
    "unserved",
)


def _figures(day: Day, scenario: Scenario) -> dict[str, Any]:
    """One replication's figures for one design."""
    c = day.customers
    counted = c.arrival >= scenario.warmup_seconds
    outcome = day.outcome[counted]
    wait = day.wait[counted]
    priority = c.priority[counted]
    served = outcome == _SERVED
    arrivals = int(counted.sum())
    abandoned = int((outcome == _ABANDONED).sum())
    waits = wait[served]
    nan = math.nan
    figures: dict[str, Any] = {
        "arrivals": arrivals,
        "served": int(served.sum()),
        "mean_wait": float(waits.mean()) if len(waits) else nan,
        "p90_wait": float(np.percentile(waits, 90)) if len(waits) else nan,
        "within_target": (
            float((waits <= scenario.target_seconds).sum()) / (len(waits) + abandoned)
            if len(waits) + abandoned
            else nan
        ),
        "abandonment": abandoned / arrivals if arrivals else nan,
        "no_show": int((outcome == _NO_SHOW).sum()) / arrivals if arrivals else nan,
        "unserved": int((outcome == _UNSERVED).sum()) / arrivals if arrivals else nan,
    }
    classes = {}
    for p, name in enumerate(PRIORITIES):
        mine = waits[priority[served] == p]
        classes[name] = (
            float(mine.mean()) if len(mine) else nan,
            float(np.percentile(mine, 90)) if len(mine) else nan,
            int((priority == p).sum()),
        )
    figures["classes"] = classes
    intervals = scenario.intervals
    slot = np.minimum(
        (c.arrival[counted][served] // scenario.interval_seconds).astype(int), intervals - 1
    )
    count = np.bincount(slot, minlength=intervals)
    total = np.bincount(slot, weights=waits, minlength=intervals)
    with np.errstate(invalid="ignore", divide="ignore"):
        figures["curve"] = np.where(count > 0, total / np.maximum(count, 1), nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        figures["utilisation"] = np.where(day.staffed > 0, day.busy / day.staffed, nan)
    return figures


def simulate(
    scenario: Scenario,
    designs: Sequence[str] = DESIGNS,
    *,
    replications: int = 20,
    seed: int = 0,
) -> SimulationResult:
    """Run every design on the same `replications` simulated days and summarise."""
    validate(scenario)
    for design in designs:
        _check_design(design)
    if not designs:
        raise SimulationInputError("no designs to compare", zh="没有要比较的排队方式")
    if replications < 2:
        raise SimulationInputError(
            "at least two replications are needed for an interval",
            zh="至少需要两次重复模拟才能给出置信区间",
        )
    streams = np.random.SeedSequence(seed).spawn(replications)
    runs: dict[str, list[dict[str, Any]]] = {d: [] for d in designs}
    for stream in streams:
        customers = draw_customers(scenario, np.random.default_rng(stream))
        for design in designs:
            runs[design].append(_figures(run_day(scenario, customers, design), scenario))

    results = []
    for design in designs:
        figures = runs[design]
        by_priority = {}
        for name in PRIORITIES:
            rows = [f["classes"][name] for f in figures]
            count = float(np.mean([r[2] for r in rows]))
            if count == 0:
                continue
            by_priority[name] = ClassWaits(
                mean_wait=Estimate.of(r[0] for r in rows),
                p90_wait=Estimate.of(r[1] for r in rows),
                customers=count,
            )
        curve = np.vstack([f["curve"] for f in figures])
        utilisation = np.vstack([f["utilisation"] for f in figures])
        label, label_zh = DESIGN_LABELS[design]
        results.append(
            DesignResult(
                design=design,
                label=label,
                label_zh=label_zh,
                **{m: Estimate.of(f[m] for f in figures) for m in _METRICS},
                by_priority=by_priority,
                curve=[Estimate.of(curve[:, n]) for n in range(curve.shape[1])],
                utilisation={
                    c.name: float(np.nanmean(utilisation[:, k]))
                    for k, c in enumerate(scenario.counters)
                },
            )
        )
    differences = [
        Difference(
            a,
            b,
            metric,
            Estimate.of(fa[metric] - fb[metric] for fa, fb in zip(runs[a], runs[b], strict=True)),
        )
        for n, a in enumerate(designs)
        for b in designs[n + 1 :]
        for metric in ("mean_wait", "p90_wait", "within_target")
    ]
    expected = np.sum([s.per_interval for s in scenario.services], axis=0)
    return SimulationResult(
        replications=replications,
        seed=seed,
        target_seconds=scenario.target_seconds,
        interval_seconds=scenario.interval_seconds,
        warmup_seconds=scenario.warmup_seconds,
        expected_arrivals=[float(x) for x in expected],
        designs=results,
        differences=differences,
    )
