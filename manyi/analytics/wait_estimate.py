"""An honest wait: an estimate and an 80% interval, from what is known now (no Django).

Seed 002: uncertain waits feel longer, so tell the wait, and tell it truthfully. The branch
app fills a `QueueState` from its tables whenever a number is issued or the queue changes:

    state = QueueState(
        waiting=[Waiting(...), ...],            # queue_policy.Waiting, every ticket waiting
        counters=[CounterNow(...), ...],        # open now or later today, services in order of
                                                # preference, who is there, busy since when
        recent=learn(todays_tickets, now),      # service times by service, staff, priority;
                                                # patience (no-shows, cancellations); arrival
                                                # rates by service and priority
        appointments_due=[("B", at), ...],      # booked, not checked in (None: unknown)
        closes_at=closing_time,                 # no numbers after it
        calibration=calibration_at(now, ...),   # from today's earlier tickets
    )
    estimate(state, "A031", now)  -> Estimate(wait_s, low_s, high_s, grid, ahead)
    estimate_all(state, now)      -> {ticket: Estimate} (the board: one simulation for all)

How: a Monte Carlo of the branch forward from `now` (200 runs by default). Each run draws
the rest of the services under way (given how long they have run), then lets every counter
call by `queue_policy` - the product's one fairness rule: head starts, appointments due
first, a counter's services in its order of preference - until the ticket is called.
Service times are lognormal by service, with factors for the member of staff and the
priority class, learnt from today's finished services. A called customer may have gone: a
no-show (costs the counter a recall) or a cancellation, by a patience learnt from today's
waits and who did and did not answer (a lognormal, plus a few who leave within minutes).
Customers still to come who can go ahead - a VIP or elderly customer within their head
start, an appointment falling due, anyone of a service a counter prefers - arrive at today's
recent rates, which drift back to the day's average. Counters break and reopen as planned.
What today's figures leave uncertain (rates ahead, pace, patience) is drawn once per run.
The median of the runs is the estimate, the 10th-90th percentile the interval.

Then calibration (`calibration_at`): where each of today's known waits fell in its own
predicted distribution gives the levels that really were 10%, 50% and 90% (tickets still
waiting are censored: Kaplan-Meier, so long waits are not forgotten), and a feedback on the
misses so far on each side keeps coverage near 80% when the day changes character. With no
history the raw levels are used. Everything is seeded: the same state, ticket, time and
seed give the same answer, alone or in a batch.

Simplifications: an appointment checked in long before its window is left out until the
window opens (really it could be called earlier as a walk-in), and one past its window
stays first; newcomers' rates do not know the branch's usual day shape unless the app
passes them (`Recent.arrival_rates_ahead`).

The usual formula, `baseline(k, aht, s) = (k + 1) x AHT / s`, is here for comparison.

Times are seconds on one clock (epoch seconds in the branch, seconds of the day in a
simulation); waits are seconds from `now`.
"""

from __future__ import annotations

import bisect
import math
import threading
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

import numpy as np
from scipy.special import ndtr, ndtri

from .queue_policy import Policy, Waiting, virtual_time

GRID = (np.arange(50) + 0.5) / 50  # quantile levels kept with each estimate (calibration)
LOW, MID, HIGH = 0.1, 0.5, 0.9
HORIZON_S = 4 * 3600.0  # nothing is simulated further ahead than this
# keys (sorted like queue_policy's) are single numbers, times relative to now: _U for a
# ticket that is not an appointment due now, _R per rank of preference
_U = 1e9
_R = 1e7
_STREAM_PRIORITIES = ("ordinary", "elderly", "vip", "appointment")
CHECK_IN_EARLY_S = 480.0  # an appointment checks in about this long before its time
PRIOR_SERVICE_S = 300.0
# log-scale spread of what today's figures leave uncertain (one draw per simulated run)
RATE_SPREAD = 0.5  # arrival rates ahead
SERVICE_SPREAD = 0.1  # the pace of service
PATIENCE_SPREAD = 0.4  # customers' patience
PRIOR_SIGMA = 0.6


@dataclass(frozen=True)
class Estimate:
    """A wait in seconds from now: the estimate and the 80% interval. `grid` holds the
    uncalibrated predicted quantiles at the levels `GRID` (store it with the ticket to
    calibrate later estimates); `ahead` is the number of tickets before it in its line.
    A wait of HORIZON_S means no counter open today will call it."""

    wait_s: float
    low_s: float
    high_s: float
    grid: tuple[float, ...] = ()
    ahead: int = 0

    @property
    def minutes(self) -> tuple[int, int, int]:
        """Rounded for people: (estimate, low, high) in whole minutes."""
        return (
            round(self.wait_s / 60),
            math.floor(self.low_s / 60),
            math.ceil(self.high_s / 60),
        )


@dataclass(frozen=True)
class CounterNow:
    """A counter as it is now. `schedule` is its planned open periods from now on, each
    (opens_at, closes_at); closes_at None means it keeps calling until the queue is served
    (the branch's closing time: everyone holding a number is served). The default: open now,
    until the queue is served. A counter on a break now has its next period only; one
    serving a customer past the start of its break keeps `busy_since` set."""

    counter: str
    services: tuple[str, ...]  # in order of preference
    staff: str | None = None
    busy_since: float | None = None  # when the ticket it is busy with was called
    busy_service: str | None = None
    schedule: tuple[tuple[float, float | None], ...] = ((-math.inf, None),)


@dataclass(frozen=True)
class ServiceTimes:
    """Lognormal counter time (call to finish) per service, with log-scale factors per
    member of staff and per priority class."""

    mu: Mapping[str, float] = field(default_factory=dict)
    sigma: Mapping[str, float] = field(default_factory=dict)
    staff: Mapping[str, float] = field(default_factory=dict)
    priority: Mapping[str, float] = field(default_factory=dict)
    mean_s: Mapping[str, float] = field(default_factory=dict)  # plain means (the baseline's AHT)

    def mu_of(self, service: str) -> float:
        if service in self.mu:
            return self.mu[service]
        if self.mu:
            return float(np.mean(list(self.mu.values())))
        return math.log(PRIOR_SERVICE_S)

    def sigma_of(self, service: str) -> float:
        return self.sigma.get(service, PRIOR_SIGMA)

    def aht(self, service: str) -> float:
        if service in self.mean_s:
            return self.mean_s[service]
        return math.exp(self.mu_of(service) + self.sigma_of(service) ** 2 / 2)


@dataclass(frozen=True)
class Patience:
    """How long customers wait before leaving: a few leave within minutes of taking a
    number (`balk`), the others after a lognormal time; of those who leave, `cancel_share`
    cancel their ticket, the rest are no-shows when called."""

    BALK_MEDIAN_S: ClassVar[float] = 240.0
    BALK_SIGMA: ClassVar[float] = 0.6

    median_s: float = 2400.0
    sigma: float = 1.0
    balk: float = 0.02
    cancel_share: float = 0.25

    def cdf(self, seconds: np.ndarray | float) -> np.ndarray:
        """Share who would have left after waiting `seconds`."""
        x = np.log(np.maximum(np.asarray(seconds, dtype=float), 1.0))
        early = ndtr((x - math.log(self.BALK_MEDIAN_S)) / self.BALK_SIGMA)
        return self.balk * early + (1 - self.balk) * ndtr(
            (x - math.log(self.median_s)) / self.sigma
        )


@dataclass(frozen=True)
class Recent:
    """What today has taught: service times, how often called customers are gone, what a
    no-show costs a counter, how fast customers arrive (per second, by service and
    priority)."""

    service_times: ServiceTimes = field(default_factory=ServiceTimes)
    patience: Patience = field(default_factory=Patience)
    no_show_cost_s: float = 60.0  # a recall nobody answers
    turnaround_s: float = 0.0  # from one finish to the next call
    arrival_rates: Mapping[tuple[str, str], float] = field(default_factory=dict)
    # the rates they return to over the next hour (a peak passes, a lull ends): today's
    # average so far, or the branch's usual rates for the coming hour when it knows them
    arrival_rates_ahead: Mapping[tuple[str, str], float] | None = None
    rate_reversion_s: float = 1800.0
    appointment_show: float = 0.9  # of appointments due, the share who come


@dataclass(frozen=True)
class Calibration:
    """The quantile levels that, today, really gave 10%, 50% and 90%."""

    low: float = LOW
    mid: float = MID
    high: float = HIGH
    n: int = 0


@dataclass(frozen=True)
class QueueState:
    """Everything known now. `appointments_due`: appointments booked for the next hour or
    so that have not checked in, as (service, appointment_at); None when bookings are not
    known (their arrivals are then taken at today's rate). `closes_at`: no numbers issued
    after it."""

    waiting: Sequence[Waiting]
    counters: Sequence[CounterNow]
    recent: Recent = field(default_factory=Recent)
    appointments_due: Sequence[tuple[str, float]] | None = None
    closes_at: float | None = None
    policy: Policy = field(default_factory=Policy)
    calibration: Calibration | None = None


# --------------------------------------------------------------------------- the baseline


def baseline(k: int, aht: float, s: int, spread: tuple[float, float] = (0.5, 1.5)) -> Estimate:
    """The usual formula: (k + 1) x AHT / s, for k tickets ahead, average handling time AHT
    and s counters serving the service. Its interval is the point times `spread`: a fixed
    ±50% unless the caller passes the 10th and 90th percentiles of the formula's own past
    ratios actual / predicted (as the replay does)."""
    wait = (k + 1) * aht / max(s, 1)
    return Estimate(wait, wait * spread[0], wait * spread[1], ahead=k)


# --------------------------------------------------------------------------- learning


class Learner:
    """Today's figures, kept up to date event by event (the replay) or filled from a list
    of past tickets (`learn`). Service times and patience over the whole day; arrival rates
    exponentially weighted over `window_s`."""

    def __init__(
        self,
        since: float | None = None,
        window_s: float = 1800.0,
        memo: dict[str, Any] | None = None,
    ) -> None:
        """`memo`: a dict the caller keeps between learners of the same day, so a learner
        filled afresh for every number taken refits the patience no more often than one
        kept up to date (the replay's)."""
        self.since = since
        self._memo = memo
        self.window = window_s
        self._svc: dict[str, list[float]] = {}  # n, sum x, sum r^2, sum seconds
        self._staff: dict[str, list[float]] = {}  # n, sum residual
        self._prio: dict[str, list[float]] = {}
        self._rate: dict[tuple[str, str], list[float]] = {}  # value, last time, count
        # waits, counted in the bins of _BINS: every called ticket, those nobody answered,
        # the cancelled
        self.called_waits = np.zeros(len(_CENTRES))
        self.no_show_waits = np.zeros(len(_CENTRES))
        self.cancel_waits = np.zeros(len(_CENTRES))
        self._counts = [0, 0, 0]
        self._patience: tuple[tuple, Patience] | None = (memo or {}).get("patience")
        self._ns_costs: list[float] = []
        self._turnarounds: list[float] = []
        self._cache: tuple[ServiceTimes, int] | None = None
        self._medians: dict[str, tuple[int, float]] = {}
        self._version = 0

    def copy(self, memo: dict[str, Any] | None) -> Learner:
        """An independent learner in the same state, as if made afresh with `memo` and fed
        the same tickets."""
        twin = Learner(since=self.since, window_s=self.window, memo=memo)
        twin._svc = {k: list(v) for k, v in self._svc.items()}
        twin._staff = {k: list(v) for k, v in self._staff.items()}
        twin._prio = {k: list(v) for k, v in self._prio.items()}
        twin._rate = {k: list(v) for k, v in self._rate.items()}
        twin.called_waits = self.called_waits.copy()
        twin.no_show_waits = self.no_show_waits.copy()
        twin.cancel_waits = self.cancel_waits.copy()
        twin._counts = list(self._counts)
        twin._ns_costs = list(self._ns_costs)
        twin._turnarounds = list(self._turnarounds)
        twin._cache = self._cache
        twin._medians = dict(self._medians)
        twin._version = self._version
        return twin

    def issued(self, service: str, priority: str, at: float) -> None:
        if self.since is None:
            self.since = at
        cell = self._rate.setdefault((service, priority), [0.0, at, 0.0])
        cell[0] = cell[0] * math.exp(-(at - cell[1]) / self.window) + 1.0
        cell[1] = at
        cell[2] += 1.0

    def called(self, issued_at: float, at: float) -> None:
        self.called_waits[_bin(at - issued_at)] += 1
        self._counts[0] += 1

    def no_show(self, issued_at: float, called_at: float) -> None:
        self.no_show_waits[_bin(called_at - issued_at)] += 1
        self._counts[1] += 1

    def cancelled(self, issued_at: float, at: float) -> None:
        self.cancel_waits[_bin(at - issued_at)] += 1
        self._counts[2] += 1

    def finished(self, service: str, priority: str, staff: str | None, seconds: float) -> None:
        x = math.log(max(seconds, 5.0))
        cell = self._svc.setdefault(service, [0.0, 0.0, 0.0, 0.0])
        mu = (cell[1] + 3 * self._pooled_mu()) / (cell[0] + 3)
        f_staff = self._factor(self._staff, staff)
        f_prio = self._factor(self._prio, priority)
        residual = x - mu
        cell[0] += 1
        cell[1] += x - f_staff - f_prio
        cell[2] += (residual - f_staff - f_prio) ** 2
        cell[3] += seconds
        if staff is not None:
            s = self._staff.setdefault(staff, [0.0, 0.0])
            s[0] += 1
            s[1] += residual - f_prio
        p = self._prio.setdefault(priority, [0.0, 0.0])
        p[0] += 1
        p[1] += residual - f_staff
        self._version += 1

    def patience(self, now: float, waiting_since: Iterable[float] = ()) -> Patience:
        """The patience learnt so far (`fit_patience`); refitted when enough is new or five
        minutes have passed."""
        key = (self._counts[0] // 10, self._counts[1] // 2, self._counts[2] // 2, int(now // 300))
        if self._patience is not None and self._patience[0] == key:
            return self._patience[1]
        fit = fit_patience(
            self.called_waits,
            self.no_show_waits,
            self.cancel_waits,
            [max(now - t, 0.0) for t in waiting_since],
        )
        self._patience = (key, fit)
        if self._memo is not None:
            self._memo["patience"] = self._patience
        return fit

    def no_show_cost(self, seconds: float) -> None:
        self._ns_costs.append(seconds)

    def turnaround(self, seconds: float) -> None:
        self._turnarounds.append(seconds)

    def _cached_median(self, name: str, values: list[float], default: float) -> float:
        cached = self._medians.get(name)
        if cached is None or cached[0] != len(values):
            cached = (len(values), _median(values, default))
            self._medians[name] = cached
        return cached[1]

    def _pooled_mu(self) -> float:
        n = sum(c[0] for c in self._svc.values())
        if not n:
            return math.log(PRIOR_SERVICE_S)
        return (sum(c[1] for c in self._svc.values()) + 3 * math.log(PRIOR_SERVICE_S)) / (n + 3)

    @staticmethod
    def _factor(table: dict[str, list[float]], key: str | None, prior: float = 10.0) -> float:
        if key is None or key not in table:
            return 0.0
        n, total = table[key]
        return total / (n + prior)

    def service_times(self) -> ServiceTimes:
        if self._cache and self._cache[1] == self._version:
            return self._cache[0]
        pooled = self._pooled_mu()
        mu, sigma, mean = {}, {}, {}
        for service, (n, sx, sr2, ssec) in self._svc.items():
            mu[service] = (sx + 3 * pooled) / (n + 3)
            sigma[service] = math.sqrt((sr2 + 3 * PRIOR_SIGMA**2) / (n + 3))
            mean[service] = ssec / n
        times = ServiceTimes(
            mu=mu,
            sigma=sigma,
            staff={k: self._factor(self._staff, k) for k in self._staff},
            priority={k: self._factor(self._prio, k) for k in self._prio},
            mean_s=mean,
        )
        self._cache = (times, self._version)
        return times

    def recent(self, now: float, waiting_since: Iterable[float] = ()) -> Recent:
        """The figures at `now`; `waiting_since` the issue times of those still waiting
        (their waits so far count as exposure to cancelling)."""
        rates, ahead = {}, {}
        if self.since is not None and now > self.since:
            norm = self.window * (1 - math.exp(-(now - self.since) / self.window))
            norm = max(norm, 600.0)
            elapsed = max(now - self.since, 600.0)
            for key, (value, last, count) in self._rate.items():
                rates[key] = value * math.exp(-(now - last) / self.window) / norm
                ahead[key] = count / elapsed
        return Recent(
            service_times=self.service_times(),
            patience=self.patience(now, waiting_since),
            no_show_cost_s=self._cached_median("ns", self._ns_costs, 60.0),
            turnaround_s=self._cached_median("turn", self._turnarounds, 0.0),
            arrival_rates=rates,
            arrival_rates_ahead=ahead,
        )


def _median(values: list[float], default: float) -> float:
    if not values:
        return default
    return float(np.median(values[-200:]))


_M_GRID = np.log(np.geomspace(120.0, 36000.0, 28))
_S_GRID = np.array([0.5, 0.8, 1.1, 1.5])
_B_GRID = np.array([0.0, 0.02, 0.05, 0.1])
_BINS = np.log(np.geomspace(10.0, 30000.0, 49))  # waits are counted in these bins
_CENTRES = np.concatenate([[_BINS[0]], (_BINS[1:] + _BINS[:-1]) / 2, [_BINS[-1]]])


_BIN_EDGES = _BINS.tolist()  # (bisect on a list: learning from a day calls this per ticket)


def _bin(seconds: float) -> int:
    """As np.searchsorted(_BINS, log(seconds)) (side left)."""
    return bisect.bisect_left(_BIN_EDGES, math.log(max(seconds, 1.0)))


def fit_patience(
    called: Sequence[float],
    no_shows: Sequence[float],
    cancels: Sequence[float],
    waiting: Sequence[float] = (),
    prior: Patience | None = None,
) -> Patience:
    """The customers' patience, by maximum likelihood on a grid with a weak prior: a called
    customer who answered had more patience than their wait, a no-show less, a cancellation
    shows it exactly, those still waiting have not cancelled yet. Waits are given as counts
    per bin of `_BINS` (arrays) or as lists of seconds."""
    prior = prior or Patience()

    def counts(values: Sequence[float] | np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        if values.shape == _CENTRES.shape and not isinstance(values, list):
            return values
        return np.bincount(
            np.searchsorted(_BINS, np.log(np.maximum(values, 1.0))), minlength=len(_CENTRES)
        ).astype(float)

    n_called, n_ns, n_cancel, n_wait = (counts(v) for v in (called, no_shows, cancels, waiting))
    share = (n_cancel.sum() + 1.0) / (n_cancel.sum() + n_ns.sum() + 4.0)
    x = _CENTRES[None, None, None, :]
    zl = (x - _M_GRID[None, :, None, None]) / _S_GRID[None, None, :, None]
    zb = (x - math.log(Patience.BALK_MEDIAN_S)) / Patience.BALK_SIGMA
    b = _B_GRID[:, None, None, None]
    cdf = b * ndtr(zb) + (1 - b) * ndtr(zl)  # (balk, median, sigma, bin)
    pdf = (
        b * np.exp(-0.5 * zb**2) / Patience.BALK_SIGMA
        + (1 - b) * np.exp(-0.5 * zl**2) / _S_GRID[None, None, :, None]
    )
    tiny = 1e-12
    log_s = np.log(np.maximum(1 - cdf, tiny))
    ll = (
        (n_called * log_s).sum(axis=3)
        + (n_ns * (np.log(np.maximum(cdf, tiny)) - log_s)).sum(axis=3)
        + (n_cancel * np.log(np.maximum(pdf, tiny))).sum(axis=3)
        + (n_wait * np.log(np.maximum(1 - share * cdf, tiny))).sum(axis=3)
    )
    ll += n_ns.sum() * math.log(1 - share) + n_cancel.sum() * math.log(share)
    # weak prior: median near the prior's (log-sd 1), few balkers
    ll += -0.5 * ((_M_GRID[None, :, None] - math.log(prior.median_s)) / 1.0) ** 2
    ll += -2.0 * (_B_GRID[:, None, None] / 0.05)
    i, j, k = np.unravel_index(int(np.argmax(ll)), ll.shape)
    return Patience(
        median_s=float(math.exp(_M_GRID[j])),
        sigma=float(_S_GRID[k]),
        balk=float(_B_GRID[i]),
        cancel_share=float(share),
    )


class Past(NamedTuple):
    """A ticket of today as known now, for `learn`. `seconds`: counter time (call to
    finish) of a served ticket; `outcome` served / no_show / abandoned, or None while open;
    `left_at` when an abandoned ticket was cancelled. (A tuple: the app makes one per ticket
    of the day for every number taken.)"""

    service: str
    priority: str
    issued_at: float
    called_at: float | None = None
    outcome: str | None = None
    seconds: float | None = None
    staff: str | None = None
    left_at: float | None = None


@dataclass
class _Learnt:
    """The learner after the day's settled beginning: the tickets, in the order issued, up to
    the first one still open, all of whose times had passed. Kept in a `learn` memo, so the
    next number taken feeds only the rest of the day (the beginning can no longer change,
    and is checked to be the same before it is used)."""

    since: float | None
    prefix: list[Past]
    learner: Learner
    waiting: list[float]
    latest: float  # the latest time in the prefix: valid for any later `now`


def _ended_by(past: Past, now: float) -> float | None:
    """The latest time of a ticket that has ended by `now`; None while it is open."""
    if past.outcome is None:
        return None
    latest = past.issued_at
    if past.called_at is not None:
        latest = max(latest, past.called_at)
    if past.left_at is not None:
        latest = max(latest, past.left_at)
    return latest if latest <= now else None


def learn(
    history: Iterable[Past],
    now: float,
    since: float | None = None,
    memo: dict[str, Any] | None = None,
) -> Recent:
    """`Recent` from today's tickets so far (what the app passes in `QueueState`); `memo`
    as for `Learner`, and it keeps the day's settled beginning (`_Learnt`): the answer is
    the same as without it."""
    ordered = sorted(history, key=lambda p: p.issued_at)
    kept = memo.get("learnt") if memo is not None else None
    start, latest = 0, -math.inf
    if (
        kept is not None
        and kept.since == since
        and now >= kept.latest
        and ordered[: len(kept.prefix)] == kept.prefix
    ):
        learner, waiting = kept.learner.copy(memo), list(kept.waiting)
        start, latest = len(kept.prefix), kept.latest
    else:
        learner, waiting = Learner(since=since, memo=memo), []
    settled = memo is not None  # still in the day's settled beginning
    for k in range(start, len(ordered)):
        past = ordered[k]
        if settled:
            ended = _ended_by(past, now)
            if ended is None:
                settled = False
                if k > start:
                    memo["learnt"] = _Learnt(
                        since, ordered[:k], learner.copy(None), list(waiting), latest
                    )
            else:
                latest = max(latest, ended)
        if past.issued_at > now:
            continue
        learner.issued(past.service, past.priority, past.issued_at)
        if past.called_at is not None and past.called_at <= now:
            learner.called(past.issued_at, past.called_at)
            if past.outcome == "no_show":
                learner.no_show(past.issued_at, past.called_at)
            elif past.outcome == "served" and past.seconds is not None:
                learner.finished(past.service, past.priority, past.staff, past.seconds)
        elif past.outcome == "abandoned" and past.left_at is not None and past.left_at <= now:
            learner.cancelled(past.issued_at, past.left_at)
        else:
            waiting.append(past.issued_at)
    if settled and len(ordered) > start:
        memo["learnt"] = _Learnt(since, ordered, learner.copy(None), list(waiting), latest)
    return learner.recent(now, waiting)


# --------------------------------------------------------------------------- calibration


def pit(grid: Sequence[float], wait: float) -> float:
    """Where a real wait fell in its predicted distribution (0-1; ties at the midpoint)."""
    return float(pits_of(np.asarray(grid, dtype=float)[None, :], np.array([wait]))[0])


def pits_of(grids: np.ndarray, waits: np.ndarray) -> np.ndarray:
    """`pit` row by row: each wait in its own row of predicted quantiles."""
    below = (grids < waits[:, None]).sum(axis=1)
    at_or_below = (grids <= waits[:, None]).sum(axis=1)
    return (below + at_or_below) / (2 * grids.shape[1])


def km_quantiles(
    values: np.ndarray, censored: np.ndarray, levels: Sequence[float]
) -> list[float | None]:
    """Kaplan-Meier quantiles of right-censored values (None where never reached)."""
    order_ = np.lexsort((censored, values))  # events before censorings at equal values
    v, c = values[order_], censored[order_]
    at_risk = len(v) - np.arange(len(v))
    cdf = 1.0 - np.cumprod(np.where(c, 1.0, 1.0 - 1.0 / at_risk))
    out: list[float | None] = []
    for level in levels:
        reached = np.nonzero(cdf >= level)[0]
        out.append(float(v[reached[0]]) if len(reached) else None)
    return out


def calibration_at(
    now: float,
    issued: Sequence[float],
    grids: Sequence[Sequence[float]],
    called: Sequence[float | None],
    gone: Sequence[float | None] | None = None,
    low: Sequence[float] | None = None,
    high: Sequence[float] | None = None,
    *,
    pits: np.ndarray | None = None,
    window: int = 400,
    prior: float = 30.0,
    gain: float = 1.0,
) -> Calibration:
    """Today's calibration at `now`, from earlier tickets: when each was issued, its
    predicted quantiles (`Estimate.grid`), when it was called (None: not yet) and when it
    was known to have gone (cancelled; None: not known).

    Where each known wait fell in its predicted distribution (PIT) gives the levels that
    really were 10%, 50% and 90%; tickets still waiting are censored at where their wait
    so far falls (Kaplan-Meier), so long waits are not forgotten. Then, if the intervals
    given (`low`, `high`) are passed, a feedback on their misses so far on each side
    (adaptive conformal inference): too many misses below widens the next intervals there,
    too few narrows them. Only tickets issued before `now` and events before `now` count.
    Shrunk toward 10/50/90 by `prior` tickets; the most recent `window` are used. `pits`
    may give each ticket's PIT of its actual wait, computed once (it is used only where the
    ticket was called before `now`)."""
    issued_ = np.asarray(issued, dtype=float)
    keep = np.nonzero(issued_ < now)[0][-window:]
    if not len(keep):
        return Calibration()

    def column(values, default=np.inf) -> np.ndarray:
        if values is None:
            return np.full(len(keep), default)
        if isinstance(values, np.ndarray) and values.dtype.kind == "f":
            arr = values[keep]
            return np.where(np.isnan(arr), default, arr)
        arr = np.asarray(values, dtype=object)[keep]
        return np.array([default if v is None else v for v in arr], dtype=float)

    iss = issued_[keep]
    grid = np.asarray(grids, dtype=float)[keep]
    call = column(called)
    left = column(gone)
    resolved = call < now
    use = resolved | ~(left < now)
    elapsed = now - iss
    waits = np.where(resolved, call - iss, elapsed)
    if pits is None:
        pits = pits_of(grid, waits)
    else:
        pits = np.asarray(pits, dtype=float)[keep].copy()
        waiting = ~resolved & use
        if waiting.any():
            pits[waiting] = pits_of(grid[waiting], waits[waiting])
    censored = ~resolved
    n = int((resolved & use).sum())
    if n == 0:
        return Calibration()
    targets = [LOW, MID, HIGH]
    if low is not None and high is not None:
        lo, hi = column(low, 0.0), column(high, np.inf)
        below_known = use & (resolved | (elapsed >= lo))
        above_known = use & (resolved | (elapsed > hi))
        if below_known.sum() >= 20:
            miss = ((waits < lo - 1e-6) & resolved)[below_known].mean()
            targets[0] = min(max(LOW - gain * (miss - LOW), 0.02), 0.25)
        if above_known.sum() >= 20:
            miss = (waits > hi + 1e-6)[above_known].mean()
            targets[2] = min(max(HIGH + gain * (miss - (1 - HIGH)), 0.75), 0.98)
    found = km_quantiles(pits[use], censored[use], targets)
    weight = n / (n + prior)
    levels = []
    for nominal, level in zip((LOW, MID, HIGH), found, strict=True):
        if level is None:  # never reached: the mass left lies above every value seen
            level = min(float(pits[use].max()) + 0.02, 0.99)
        level = weight * level + (1 - weight) * nominal
        levels.append(min(max(level, 0.01), 0.99))
    lo_level, mid, hi_level = levels
    return Calibration(lo_level, max(mid, lo_level), max(hi_level, mid), n)


# --------------------------------------------------------------------------- the simulation


@dataclass
class _Case:
    """One simulation to run, reduced to plain numbers (times relative to its `now`)."""

    seed: int
    services: list[str]
    # walk-in line per service in policy order: key, issued, log factor, slot (0: untracked)
    x_lines: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    # appointments waiting, per service: appointment time, issued, log factor, slot
    a_fixed: dict[str, list[tuple[float, float, float, int]]]
    bookings: list[tuple[str, float]] | None
    # service, priority, rate now, rate ahead, cutoff, log factor
    streams: list[tuple[str, str, float, float, float, float]]
    reversion: float
    counters: _Counters
    mu: dict[str, float]
    sigma: dict[str, float]
    appointment_factor: float
    patience: Patience
    ns_cost: float
    turnaround: float
    show: float
    horizon: float
    heads: tuple[float, ...]  # head start of each newcomer priority (_STREAM_PRIORITIES)
    window: tuple[float, float]  # an appointment is due from this long before to after
    tracked: list[str]  # the tickets whose calls are recorded (slots 1..)
    queue: int  # tickets waiting
    ahead: list[int]  # for each, the tickets before it in its line now


@lru_cache(maxsize=1024)
def _offset_row(
    serves: tuple[str, ...], by_preference: bool, services: tuple[str, ...]
) -> tuple[float, ...]:
    """A counter's key offset for each of `services`: its order of preference (or none);
    inf for those it does not serve."""
    rank = {s: k for k, s in enumerate(serves)}
    return tuple(
        (rank[s] * _R if by_preference else 0.0) if s in rank else math.inf for s in services
    )


@dataclass
class _Counters:
    offsets: np.ndarray  # (k, services)
    speed: np.ndarray  # (k,)
    periods: np.ndarray  # (k, periods, 2): start, end from now (inf padding)
    busy: np.ndarray  # (k, 3): log mean, sigma, elapsed of the current service (-1: free)


def _prepare(state: QueueState, now: float, seed: int, target: Waiting | None) -> _Case:
    """`target`: the one ticket to follow (the simulation stops when it is called and leaves
    out what cannot matter to it); None follows every waiting ticket."""
    policy = state.policy
    recent = state.recent
    times = recent.service_times
    waiting = list(state.waiting)
    if target is not None and all(w.ticket != target.ticket for w in waiting):
        waiting.append(target)
    services = sorted(
        {w.service for w in waiting} | {s for c in state.counters for s in c.services}
    )
    tracked = [target] if target is not None else waiting
    slot = {w.ticket: k + 1 for k, w in enumerate(tracked)}
    ahead = dict.fromkeys(slot, 0)

    def factor(priority: str) -> float:
        return times.priority.get(priority, 0.0)

    def pending_appointment(w: Waiting) -> bool:
        return (
            w.priority == "appointment"
            and w.appointment_at is not None
            and now <= w.appointment_at + policy.appointment_late
        )

    # each line in the order of the rule: within one service `queue_policy.order` sorts by
    # (virtual time, issued) - the same sort, done once for all services here
    lines: dict[str, list[tuple[float, float, Waiting]]] = {s: [] for s in services}
    a_fixed: dict[str, list] = {s: [] for s in services}
    appointment_factor = factor("appointment")
    for w in waiting:
        if pending_appointment(w):
            a_fixed[w.service].append(
                (
                    w.appointment_at - now,
                    w.issued_at - now,
                    appointment_factor,
                    slot.get(w.ticket, 0),
                )
            )
        else:
            lines[w.service].append((virtual_time(w, now, policy)[1], w.issued_at, w))
    x_lines = {}
    for s, line in lines.items():
        line.sort(key=lambda item: (item[0], item[1]))
        if target is not None and target.service == s:
            cut = next((i for i, item in enumerate(line) if item[2].ticket == target.ticket), None)
            if cut is not None:
                line = line[: cut + 1]
        for i, (_when, _issued, w) in enumerate(line):
            if w.ticket in ahead:
                ahead[w.ticket] = i
        x_lines[s] = (
            np.array([_U + when - now for when, _i, _w in line]),
            np.array([issued - now for _v, issued, _w in line]),
            np.array([factor(w.priority) for _v, _i, w in line]),
            np.array([slot.get(w.ticket, 0) for _v, _i, w in line], dtype=np.int64),
        )
    for s in services:
        a_fixed[s].sort()
        for i, item in enumerate(a_fixed[s]):
            if item[3]:
                ahead[tracked[item[3] - 1].ticket] = i

    horizon = HORIZON_S
    if state.closes_at is not None:
        horizon = min(horizon, max(state.closes_at - now, 0.0))
    streams = []
    if target is not None:
        urgency, when = virtual_time(target, now, policy)
    for s in services:
        for p in _STREAM_PRIORITIES:
            if p == "appointment" and state.appointments_due is not None:
                continue  # the bookings themselves are known
            rate = recent.arrival_rates.get((s, p), 0.0)
            later = rate
            if recent.arrival_rates_ahead is not None:
                later = recent.arrival_rates_ahead.get((s, p), 0.0)
            if rate <= 0 and later <= 0:
                continue
            cutoff = horizon
            if target is not None and s == target.service:
                # a newcomer to the same line goes ahead only within its head start (never
                # of an appointment due now)
                within = when + policy.head_start_of(p) - now
                if p == "appointment":
                    within = cutoff  # due on arrival: always first
                cutoff = -1.0 if urgency == 0 else min(cutoff, within)
            if cutoff > 0:
                streams.append((s, p, rate, later, cutoff, factor(p)))
    bookings = None
    if state.appointments_due is not None:
        bookings = [(s, at - now) for s, at in state.appointments_due]

    # the counters as arrays: key offsets by service (this case's order), staff factor,
    # open periods from now (start, end), and the current service (log mean, sigma, elapsed;
    # elapsed -1 when free)
    offsets, speeds, periods, busy = [], [], [], []
    staff_factor = times.staff
    service_tuple = tuple(services)
    log_times: dict[str, tuple[float, float]] = {}  # service: log mean, sigma
    for c in state.counters:
        spans = [
            (opens - now if opens > now else 0.0, math.inf if closes is None else closes - now)
            for opens, closes in c.schedule
            if closes is None or closes > now
        ]
        if not spans:
            continue
        speed = staff_factor.get(c.staff, 0.0) if c.staff else 0.0
        offsets.append(_offset_row(c.services, policy.by_preference, service_tuple))
        speeds.append(speed)
        periods.append(spans)
        if c.busy_since is None:
            busy.append((0.0, 1.0, -1.0))
        else:
            s = c.busy_service if c.busy_service is not None else c.services[0]
            if s not in log_times:
                log_times[s] = (times.mu_of(s), times.sigma_of(s))
            mu, sigma = log_times[s]
            busy.append((mu + speed, sigma, max(now - c.busy_since, 0.0)))
    n_periods = max(map(len, periods), default=1)
    padding = [(math.inf, math.inf)] * n_periods
    span_array = np.array(
        [spans + padding[len(spans) :] for spans in periods], dtype=float
    ).reshape(len(periods), n_periods, 2)
    counters = _Counters(
        offsets=np.array(offsets, dtype=float).reshape(len(offsets), len(services)),
        speed=np.array(speeds, dtype=float),
        periods=span_array,
        busy=np.array(busy, dtype=float).reshape(len(busy), 3),
    )

    return _Case(
        seed=seed,
        services=services,
        x_lines=x_lines,
        a_fixed=a_fixed,
        bookings=bookings,
        reversion=recent.rate_reversion_s,
        streams=streams,
        counters=counters,
        mu={s: times.mu_of(s) for s in services},
        sigma={s: times.sigma_of(s) for s in services},
        appointment_factor=factor("appointment"),
        patience=recent.patience,
        ns_cost=recent.no_show_cost_s,
        turnaround=recent.turnaround_s,
        show=recent.appointment_show,
        horizon=horizon,
        # an appointment arriving is due: its key is its time, about CHECK_IN_EARLY_S later
        heads=tuple(
            _U - CHECK_IN_EARLY_S if p == "appointment" else policy.head_start_of(p)
            for p in _STREAM_PRIORITIES
        ),
        window=(policy.appointment_early, policy.appointment_late),
        tracked=[w.ticket for w in tracked],
        queue=len(waiting),
        ahead=[ahead[w.ticket] for w in tracked],
    )


def _appointment_block(case: _Case, s: str, rng: np.random.Generator, D: int) -> np.ndarray:
    """Per draw, the appointments of service `s` waiting or booked, in order of their time:
    (D, m, 5) with appointment time, arrival, issued, log factor, slot. (Appointments not
    booked in advance come as a stream of newcomers.)"""
    parts = []
    fixed = case.a_fixed.get(s, [])
    if fixed:
        a = np.array([(at, iss, iss, fac, slot) for at, iss, fac, slot in fixed], dtype=float)
        a[:, 1] = -np.inf  # already here
        parts.append(np.broadcast_to(a, (D, len(fixed), 5)))
    if case.bookings is not None:
        due = np.array([at for bs, at in case.bookings if bs == s], dtype=float)
        if len(due):
            shows = rng.random((D, len(due))) < case.show
            early = rng.normal(CHECK_IN_EARLY_S, 300.0, (D, len(due)))
            arrive = np.maximum(due - early, rng.uniform(0.0, 60.0, (D, len(due))))
            at = np.where(shows, due, np.inf)
            arrive = np.where(shows, arrive, np.inf)
            fac = np.full_like(at, case.appointment_factor)
            parts.append(np.stack([at, arrive, arrive, fac, np.zeros_like(at)], axis=2))
    if not parts:
        return np.empty((D, 0, 5))
    block = np.concatenate(parts, axis=1)
    if len(parts) > 1:
        idx = np.argsort(block[:, :, 0], axis=1, kind="stable")
        block = np.take_along_axis(block, idx[:, :, None], axis=1)
    return block


_CHUNK = 32  # steps of random numbers drawn at a time
_MAX_STEPS = 100_000  # a run stops after this many events
_SENTINEL = tuple(np.array([v]) for v in (np.inf, np.inf, 0.0, 0.0, 0.0))  # ends each line
_TABLE_STEP = 10.0  # the patience CDF is looked up every ten seconds ...
_NT = 4321  # ... up to twelve hours
_TABLE_S = np.arange(_NT) * _TABLE_STEP


@lru_cache(maxsize=64)
def _cdf_table(patience: Patience) -> np.ndarray:
    return patience.cdf(_TABLE_S)


def _kernel() -> Any:
    """The compiled step loop, imported on first use: numba takes about a second to load
    (and a second more to compile on a machine where it has not run yet)."""
    from . import _wait_kernel

    return _wait_kernel


def warm_up() -> None:
    """Load (or compile) the step loop now: a web server calls this as it starts, so the
    first number taken after a restart is not a second late."""
    now = 0.0
    state = QueueState([Waiting("A001", "A", "ordinary", now)], [CounterNow("1", ("A",))])
    estimate(state, "A001", now, draws=MIN_DRAWS)


def start_warm_up() -> threading.Thread:
    """`warm_up` in a background thread (the web server's start goes on meanwhile)."""
    thread = threading.Thread(target=warm_up, name="wait-estimate-warm-up", daemon=True)
    thread.start()
    return thread


def _simulate(cases: Sequence[_Case], draws: int | Sequence[int]) -> list[np.ndarray]:
    """For each case, the call times of its tracked tickets in `draws` runs: (draws,
    tracked), seconds from its now; inf where no counter ever calls the ticket.

    Laid out here as flat arrays, moved forward one event at a time by the compiled loop
    (`_wait_kernel.advance`), a chunk of steps per call. The walk-in line of a case is
    shared by its runs, the appointments (which differ between runs) are per run; newcomers
    are Poisson streams drawn as they come. A run's random numbers come from its own case's
    seed only, so a case gives the same answer in any batch."""
    B = len(cases)
    sizes = [draws] * B if isinstance(draws, int) else list(draws)  # runs per case
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    services = sorted({s for case in cases for s in case.services})
    S = len(services)
    si = {s: k for k, s in enumerate(services)}
    F = len(_STREAM_PRIORITIES)
    L = 2 * S + S * F  # columns: walk-in lines, appointment lines, newcomer streams
    XA = 2 * S
    col_svc = np.concatenate([np.arange(S), np.arange(S), np.repeat(np.arange(S), F)])
    C = max(1, max(len(case.counters.speed) for case in cases))
    P = max(case.counters.periods.shape[1] for case in cases)
    T = max(1, max(len(case.tracked) for case in cases))
    N = int(starts[-1])
    rngs = [np.random.default_rng(case.seed) for case in cases]
    # what today's figures leave uncertain, drawn once per run: the arrival rates ahead
    # (a peak passing, a lull ending), the pace of service, the customers' patience
    spread = np.concatenate([rngs[b].standard_normal((sizes[b], 3)) for b in range(B)])
    rate_factor = np.exp(RATE_SPREAD * spread[:, 0] - RATE_SPREAD**2 / 2)
    pace = SERVICE_SPREAD * spread[:, 1]
    patience_factor = np.exp(-PATIENCE_SPREAD * spread[:, 2])

    # --- flat store of the lines: key, arrival, issued, log factor, slot; each line ends in
    # a sentinel (never called); empty lines all point at the first one
    parts: list[list[np.ndarray]] = [[end] for end in _SENTINEL]
    size = 1
    PTR = np.zeros((N, XA), dtype=np.int64)
    used = np.zeros(L, dtype=bool)  # columns some case needs (the others are dropped)
    for b, case in enumerate(cases):
        rows, D = slice(starts[b], starts[b + 1]), sizes[b]
        for s in services:
            line = case.x_lines.get(s)
            if line is None or not len(line[0]):
                continue
            key, issued, fac, slots = line
            n = len(key)
            here = (key, np.full(n, -np.inf), issued, fac, slots)  # (arrived: -inf)
            for part, values, end in zip(parts, here, _SENTINEL, strict=True):
                part.append(values)
                part.append(end)
            PTR[rows, si[s]] = size
            size += n + 1
            used[si[s]] = True
        for s in services:
            block = _appointment_block(case, s, rngs[b], D)  # (D, m, 5)
            m = block.shape[1]
            if not m:
                continue
            seg = np.zeros((D, m + 1, 5))
            # an appointment goes first from the start of its window (checked in earlier, it
            # is left out until then; late beyond its window, it stays first: both rare)
            seg[:, :m, 0] = block[:, :, 0]
            seg[:, :m, 1] = np.maximum(block[:, :, 1], block[:, :, 0] - case.window[0])
            seg[:, :m, 2:] = block[:, :, 2:]
            seg[:, m, :2] = np.inf
            flat = seg.reshape(-1, 5)
            for j, part in enumerate(parts):
                part.append(flat[:, j])
            PTR[rows, S + si[s]] = size + np.arange(D) * (m + 1)
            size += D * (m + 1)
            used[S + si[s]] = True
    SK, SA, SI, SF, ST = (np.concatenate(part) for part in parts)
    ST = ST.astype(np.int64)

    # --- per case tables
    OFF = np.full((B, C, L), np.inf)
    SPD = np.zeros((B, C))
    PS = np.full((B, C, P + 1), np.inf)
    PE = np.full((B, C, P + 1), np.inf)
    MU = np.zeros((B, S))
    SG = np.full((B, S), PRIOR_SIGMA)
    RATE = np.zeros((B, L))  # newcomers per second now ...
    LATER = np.zeros((B, L))  # ... and the rate they return to
    REV = np.array([case.reversion for case in cases])
    CUT = np.full((B, L), -1.0)
    HEAD = np.zeros((B, L))
    FAC = np.zeros((B, L))
    for b, case in enumerate(cases):
        counters = case.counters
        k, p = counters.periods.shape[:2]
        off_s = np.full((k, S), np.inf)
        off_s[:, [si[s] for s in case.services]] = counters.offsets
        OFF[b, :k] = off_s[:, col_svc]
        SPD[b, :k] = counters.speed
        PS[b, :k, :p] = counters.periods[:, :, 0]
        PE[b, :k, :p] = counters.periods[:, :, 1]
        for s in case.services:
            MU[b, si[s]] = case.mu[s]
            SG[b, si[s]] = case.sigma[s]
        for s, p, rate, later, cutoff, fac in case.streams:
            j = XA + si[s] * F + _STREAM_PRIORITIES.index(p)
            RATE[b, j], LATER[b, j], CUT[b, j], FAC[b, j] = rate, later, cutoff, fac
        HEAD[b, XA:] = np.tile(np.array(case.heads), S)
    used[XA:] = (RATE[:, XA:] > 0).any(axis=0) | (LATER[:, XA:] > 0).any(axis=0)
    # keep only the columns in use: walk-in lines, appointment lines, streams (in that order)
    n_x, n_a = int(used[:S].sum()), int(used[S:XA].sum())
    PTR = np.ascontiguousarray(PTR[:, used[:XA]])
    OFF, RATE, LATER, CUT, HEAD, FAC = (
        np.ascontiguousarray(a[..., used]) for a in (OFF, RATE, LATER, CUT, HEAD, FAC)
    )
    col_svc = col_svc[used]
    column = np.cumsum(used) - 1  # a column's place once the unused are dropped
    XA_full = XA
    L, XA = int(used.sum()), n_x + n_a
    OFF_flat = OFF.reshape(B * C, L)
    PS_flat, PE_flat = PS.ravel(), PE.ravel()
    MU_flat, SG_flat, SPD_flat = MU.ravel(), SG.ravel(), SPD.ravel()
    CUT_flat = CUT.ravel()
    HEAD_flat, FAC_flat = HEAD.ravel(), FAC.ravel()
    # the rate of a stream s seconds ahead: LATER + (RATE - LATER) exp(-s / reversion)
    RATE_flat, LATER_flat = RATE.ravel(), LATER.ravel()

    # --- per run state
    free = np.full((N, C), np.inf)
    HK = np.full((N, L), np.inf)  # head key
    HA = np.full((N, L), np.inf)  # head arrival
    for b, case in enumerate(cases):
        rows, D = slice(starts[b], starts[b + 1]), sizes[b]
        rng = rngs[b]
        # a busy counter finishes its current service after a time drawn given how long
        # it has run so far
        k = len(case.counters.speed)
        start = case.counters.periods[:, 0, 0]
        mu, sigma, elapsed = case.counters.busy.T
        low = ndtr((np.log(np.maximum(elapsed, 1.0)) - mu) / sigma)
        u = low + (1 - low) * rng.random((D, k))
        total = np.exp(mu + sigma * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
        ready = np.maximum(total - elapsed, 1.0) + case.turnaround
        free[rows, :k] = np.where(elapsed >= 0, np.maximum(ready, start), start)
        if case.streams:  # the first newcomer of each stream (drawn in the case's own order)
            cols = [
                column[XA_full + si[s] * F + _STREAM_PRIORITIES.index(p)]
                for s, p, *_ in case.streams
            ]
            e = rng.exponential(1.0, (D, len(cols)))
            now_rate = np.maximum(RATE[b, cols], 1e-9) * rate_factor[rows, None]
            first = e / now_rate
            first = np.where(first < CUT[b, cols], first, np.inf)
            HA[rows, cols] = first
            HK[rows, cols] = _U + first - HEAD[b, cols]
    HK[:, :XA] = SK[PTR]
    HA[:, :XA] = SA[PTR]
    # one patience table per distinct patience (the cases of one day share theirs)
    patiences = {id(case.patience): case.patience for case in cases}
    CDF_flat = np.concatenate([_cdf_table(patience) for patience in patiences.values()])
    place = {key: k * _NT for k, key in enumerate(patiences)}
    table_base = np.array([place[id(case.patience)] for case in cases], dtype=np.int64)
    case_of = np.repeat(np.arange(B), sizes)

    def per_run(values: Iterable[float]) -> np.ndarray:
        return np.array(list(values), dtype=float)[case_of]

    patience_scale = patience_factor / _TABLE_STEP
    inverse_reversion = 1.0 / REV[case_of]
    cancel_share = per_run(case.patience.cancel_share for case in cases)
    no_show_cost = per_run(case.ns_cost for case in cases)
    turnaround = per_run(case.turnaround for case in cases)
    tracked = np.array([len(case.tracked) for case in cases], dtype=np.int64)[case_of]
    period = np.zeros((N, C), dtype=np.int64)
    seen = np.zeros(N, dtype=np.int64)
    live = np.ones(N, dtype=bool)
    calls = np.full((N, T + 1), np.inf)
    randoms = np.empty((3, N, _CHUNK))
    advance = _kernel().advance
    for step in range(0, _MAX_STEPS, _CHUNK):
        going = np.unique(case_of[live])
        if not len(going):
            break
        for b in going:  # uniforms (fate), normals (service), exponentials (gaps)
            rng = rngs[b]
            rows, D = slice(starts[b], starts[b + 1]), sizes[b]
            rng.random(out=randoms[0, rows])
            rng.standard_normal(out=randoms[1, rows])
            rng.standard_exponential(out=randoms[2, rows])
            randoms[2, rows] /= rate_factor[rows, None]
        advance(
            step, _MAX_STEPS, live, randoms, free, HK, HA, PTR, period, seen, calls,
            SK, SA, SI, SF, ST, OFF_flat, SPD_flat, PS_flat, PE_flat, MU_flat, SG_flat,
            RATE_flat, LATER_flat, CUT_flat, HEAD_flat, FAC_flat, col_svc, CDF_flat, table_base,
            case_of, inverse_reversion, cancel_share, patience_scale, pace, no_show_cost,
            turnaround, tracked, XA, S, P + 1, _NT, _U,
        )  # fmt: skip
    return [
        calls[starts[b] : starts[b + 1], 1 : len(case.tracked) + 1] for b, case in enumerate(cases)
    ]


# --------------------------------------------------------------------------- the front door


def _target(state: QueueState, ticket: Waiting | str) -> Waiting:
    if isinstance(ticket, Waiting):
        return ticket
    for w in state.waiting:
        if w.ticket == ticket:
            return w
    raise KeyError(f"{ticket} is not waiting")


def _case_seed(seed: int, ticket: str, now: float) -> int:
    return zlib.crc32(f"{seed}:{ticket}:{now:.3f}".encode())


def from_grid(
    grid: Sequence[float], calibration: Calibration | None = None, ahead: int = 0
) -> Estimate:
    """The estimate at the calibrated levels of a predicted distribution (`GRID` levels)."""
    c = calibration or Calibration()
    q = np.asarray(grid, dtype=float)
    low, mid, high = np.interp([c.low, c.mid, c.high], GRID, q)
    return Estimate(float(mid), float(low), float(high), tuple(q.tolist()), ahead)


def _grid(waits: np.ndarray) -> np.ndarray:
    """The quantiles at GRID of the draws (linear interpolation, as numpy's default)."""
    ordered = np.sort(np.where(np.isfinite(waits), waits, HORIZON_S))
    return np.interp(GRID * (len(ordered) - 1), np.arange(len(ordered)), ordered)


def estimate(
    state: QueueState,
    ticket: Waiting | str,
    now: float,
    *,
    draws: int = 200,
    seed: int = 0,
) -> Estimate:
    """The wait of `ticket` (a number in `state.waiting`, or a `Waiting` about to be
    issued) from `now`: median and 80% interval of `draws` simulated futures, at the levels
    of `state.calibration`. The same state, ticket, time and seed give the same answer."""
    target = _target(state, ticket)
    case = _prepare(state, now, _case_seed(seed, target.ticket, now), target)
    waits = _simulate([case], draws)[0][:, 0]
    return from_grid(_grid(waits), state.calibration, case.ahead[0])


def estimate_all(
    state: QueueState, now: float, *, draws: int = 200, seed: int = 0
) -> dict[str, Estimate]:
    """Every waiting ticket's wait from one simulation (the board, the customer pages
    after a change): as cheap as estimating the last one alone."""
    if not state.waiting:
        return {}
    case = _prepare(state, now, _case_seed(seed, "*", now), None)
    waits = _simulate([case], draws)[0]
    return {
        ticket: from_grid(_grid(waits[:, k]), state.calibration, case.ahead[k])
        for k, ticket in enumerate(case.tracked)
    }


MIN_DRAWS = 24


def _draws(case: _Case, draws: int, budget: int | None) -> int:
    if budget is None:
        return draws
    return max(min(draws, MIN_DRAWS), min(draws, budget // (case.queue + 10)))


def estimate_many(
    requests: Iterable[tuple[QueueState, Waiting | str, float]],
    *,
    draws: int = 200,
    seed: int = 0,
    batch: int = 64,
    budget: int | None = None,
) -> list[Estimate]:
    """`estimate` for many (state, ticket, now) at once, simulated in batches (the replay).
    Each answer is the one `estimate` gives with the same draws and seed. `budget` (runs x
    tickets waiting) lowers the draws for long queues, down to `MIN_DRAWS`: a long wait
    is relatively less uncertain, and the work of one run grows with the queue."""
    out: list[Estimate] = []
    pending: list[tuple[_Case, Calibration | None]] = []

    def flush() -> None:
        if not pending:
            return
        sizes = [_draws(case, draws, budget) for case, _ in pending]
        results = _simulate([case for case, _ in pending], sizes)
        for (case, calibration), waits in zip(pending, results, strict=True):
            out.append(from_grid(_grid(waits[:, 0]), calibration, case.ahead[0]))
        pending.clear()

    for state, ticket, now in requests:
        target = _target(state, ticket)
        pending.append(
            (_prepare(state, now, _case_seed(seed, target.ticket, now), target), state.calibration)
        )
        if len(pending) >= batch:
            flush()
    flush()
    return out
