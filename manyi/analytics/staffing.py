"""How many agents an interval needs: Erlang C, and Erlang A when callers give up.

Erlang C (M/M/c) assumes every caller waits as long as it takes, which overstates the queue
when it is long; Erlang A (M/M/c+M, Palm's model) lets each caller hang up after an
exponential patience with mean `patience` and is the better model for a busy line. Both are
the stationary answer for Poisson arrivals and exponential handling times, one interval at a
time, as workforce planners use them.

Units: times in seconds, load in Erlangs (calls per second x AHT). The definitions:

- probability of waiting: a caller finds every agent busy;
- service level: Erlang C, P(wait <= T); Erlang A, P(answered and wait <= T), so a caller
  who hangs up counts as a miss whenever they hang up (the definition of Mandelbaum and
  Zeltyn, "The Palm/Erlang-A queue", and the published 0.916792 of the tests);
- average speed of answer (ASA): Erlang C, the mean wait of all callers (0 for those answered
  at once); Erlang A, the mean time all callers spend in the queue, until answered or until
  they hang up, E[W] = P(abandon) x patience;
- occupancy: the share of the agents' time spent handling calls, load x (1 - P(abandon)) /
  agents;
- raw positions: the fewest agents meeting the service level target (and the maximum
  occupancy, if given); rostered positions: ceil(raw / (1 - shrinkage)), the agents to
  schedule so that, after breaks, training and absence, the raw positions are on the phones.

Computed stably for thousands of agents: Erlang B from the regularised incomplete gamma
function (the Poisson tail) rather than factorials, Erlang A from the incomplete gamma
function too, with exact series in log space where those underflow or lose accuracy (very
patient callers: agents x patience / AHT above 1e5). Checked against the birth-death chains
solved state by state (tests/test_staffing.py). `plan` staffs thousands of intervals at
once, vectorised (50 branches x 96 intervals in about 10 ms). No Django here: analysts call
it from pandas.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammainc, gammaincc, gammaln

Array = NDArray[np.float64]

# Below this the regularised incomplete gamma functions lose their relative accuracy to
# underflow; the exact series (which converge quickly just there) take over.
_TINY = 1e-280
# scipy's incomplete gamma function P(x, y) is good to 1e-9 up to x = 1e5 (x = agents x
# patience / AHT in Erlang A) but drifts beyond, near y = x: by 1e-3 at 1e6, 10% at 1e7.
# The exact series take over there (about 10 sqrt(x) terms).
_GAMMA_MAX = 1e5
# Beyond this the agent counts are no longer exact in floating point.
_MAX_LOAD = 1e12
# Occupancy is a ratio of two computed figures; 0.85 must still meet a cap of 0.85.
_OCC_TOL = 1e-12


class StaffingError(ValueError):
    """Inputs no queue model can take; `zh` is the message in Chinese."""

    def __init__(self, message: str, *, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True)
class Performance:
    """How an interval runs with `agents` agents on the phones."""

    model: str  # "erlang_c" or "erlang_a"
    agents: int
    load: float  # offered load, Erlangs
    prob_wait: float  # a caller finds every agent busy
    service_level: float  # see the module docstring for the Erlang A definition
    asa: float  # seconds; math.inf when Erlang C is unstable (agents <= load)
    occupancy: float  # 1.0 (saturated) when calls meet no agents at all
    prob_abandon: float  # 0.0 under Erlang C
    stable: bool  # False: Erlang C with agents <= load, the queue grows without bound


@dataclass(frozen=True)
class Staffing:
    """The agents one interval needs, and how it runs with the raw positions."""

    calls: float
    interval: float
    aht: float
    load: float
    raw: int
    rostered: int
    performance: Performance


@dataclass(frozen=True)
class Plan:
    """A staffing plan for many intervals, one array entry per interval.

    `pd.DataFrame(plan.as_dict())` gives one row per interval; `asa` is in seconds.
    """

    model: str  # "erlang_c", "erlang_a", or "mixed" (patience inf in some intervals)
    calls: Array
    interval: Array
    aht: Array
    patience: Array  # inf under Erlang C
    load: Array
    raw: NDArray[np.int64]
    rostered: NDArray[np.int64]
    service_level: Array
    prob_wait: Array
    asa: Array
    occupancy: Array
    prob_abandon: Array

    def __len__(self) -> int:
        return len(self.calls)

    def as_dict(self) -> dict[str, Any]:
        """Column name -> array (the model as a repeated string), ready for pandas."""
        columns: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            columns[item.name] = [value] * len(self) if item.name == "model" else value
        return columns


# ---------------------------------------------------------------------------- validation


def _fail(message: str, zh: str) -> NoReturn:
    raise StaffingError(message, zh=zh)


def _array(value: ArrayLike, name: str, zh_name: str) -> Array:
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        _fail(f"{name} must be a number", f"{zh_name}必须是数字")
    if not np.all(np.isfinite(array)):
        _fail(f"{name} must be a finite number", f"{zh_name}必须是有限的数字")
    return array


def _check_calls(calls: ArrayLike) -> Array:
    array = _array(calls, "calls", "来电量")
    if np.any(array < 0):
        _fail("calls cannot be negative", "来电量不能为负数")
    return array


def _check_positive(value: ArrayLike, name: str, zh_name: str) -> Array:
    array = _array(value, name, zh_name)
    if np.any(array <= 0):
        _fail(f"{name} must be greater than zero", f"{zh_name}必须大于零")
    return array


def _check_patience(patience: ArrayLike | None) -> Array:
    if patience is None:
        return np.asarray(math.inf)
    try:
        array = np.asarray(patience, dtype=float)
    except (TypeError, ValueError):
        _fail("patience must be a number of seconds", "耐心时长必须是秒数")
    if np.any(np.isnan(array)):
        _fail(
            "patience must be a number of seconds (inf: nobody hangs up)",
            "耐心时长必须是秒数（inf 表示不放弃）",
        )
    if np.any(array <= 0):
        _fail("patience must be greater than zero", "耐心时长必须大于零")
    return array


def _check_target(target: float) -> None:
    if isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target < 1:
        _fail(
            f"the service level target must be between 0 and 1 (exclusive), not {target}",
            f"服务水平目标必须在 0 和 1 之间（不含端点），而不是 {target}",
        )


def _check_within(within: float) -> None:
    if not isinstance(within, int | float) or not math.isfinite(within) or within < 0:
        _fail(
            f"the answer time must be zero or more seconds, not {within}",
            f"接通时限必须是零或正的秒数，而不是 {within}",
        )


def _check_shrinkage(shrinkage: float) -> None:
    if not isinstance(shrinkage, int | float) or not 0 <= shrinkage < 1:
        _fail(
            f"shrinkage must be at least 0 and below 1, not {shrinkage}",
            f"缺勤损耗率必须大于等于 0 且小于 1，而不是 {shrinkage}",
        )


def _check_occupancy(max_occupancy: float | None) -> None:
    if max_occupancy is not None and (
        not isinstance(max_occupancy, int | float) or not 0 < max_occupancy <= 1
    ):
        _fail(
            f"the maximum occupancy must be above 0 and at most 1, not {max_occupancy}",
            f"最高占用率必须大于 0 且不超过 1，而不是 {max_occupancy}",
        )


def _check_load(load: float) -> float:
    array = _array(load, "load", "话务量")
    if array.ndim:
        _fail("load must be one number (use plan() for many intervals)", "话务量必须是单个数字")
    if array < 0:
        _fail("load cannot be negative", "话务量不能为负数")
    return float(array)


def _check_agents(agents: int) -> int:
    if isinstance(agents, bool) or not isinstance(agents, int | np.integer) or agents < 0:
        _fail(
            f"agents must be a whole number, zero or more, not {agents}",
            f"坐席数必须是非负整数，而不是 {agents}",
        )
    return int(agents)


# ---------------------------------------------------------------------------- the kernels


def _log_series(
    log_ratio: Callable[[NDArray[np.intp], Array], Array], rows: int, *, first: int
) -> Array:
    """log sum_(j >= first) t_j, with t_0 = 1 and t_j = t_(j-1) exp(log_ratio(row, j)).

    Summed in log space (no overflow while the terms rise), in growing blocks of terms,
    vectorised over the rows still open; a row closes once its ratios have fallen below 1
    (they only fall further) and its last term is below 1e-17 of the sum.
    """
    log_total = np.full(rows, 0.0 if first == 0 else -math.inf)
    log_term = np.zeros(rows)
    active = np.arange(rows)
    start, block = 1, 64
    while active.size:
        ratios = log_ratio(active, np.arange(start, start + block, dtype=float))
        logs = log_term[active, None] + np.cumsum(ratios, axis=1)
        top = np.maximum(logs.max(axis=1), log_total[active])
        top = np.where(np.isfinite(top), top, 0.0)
        log_total[active] = top + np.log(
            np.exp(log_total[active] - top) + np.exp(logs - top[:, None]).sum(axis=1)
        )
        log_term[active] = logs[:, -1]
        done = (ratios[:, -1] < 0) & (logs[:, -1] < log_total[active] - 40.0)
        active = active[~done]
        start += block
        block = min(block * 2, 4096, max(64, 2**20 // active.size)) if active.size else 0
    return log_total


def _erlang_b(n: Array, a: Array) -> Array:
    """Erlang B (blocking), n servers, load a > 0: Poisson pmf(n) / Poisson cdf(n).

    The cdf is the regularised upper incomplete gamma Q(n + 1, a), accurate for any size;
    only where it underflows (n far below a) the exact finite sum
    1/B = sum_j n (n-1) ... (n-j+1) / a^j takes over; there it has about sqrt(a) terms.
    """
    cdf = gammaincc(n + 1, a)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        blocking = np.exp(n * np.log(a) - a - gammaln(n + 1) - np.log(cdf))
    low = ~(cdf > _TINY)
    if np.any(low):
        nl, al = n[low], a[low]

        def ratio(rows: NDArray[np.intp], j: Array) -> Array:
            with np.errstate(divide="ignore"):
                return np.log(np.maximum(nl[rows, None] - j + 1, 0.0)) - np.log(al[rows, None])

        blocking[low] = np.exp(-_log_series(ratio, int(low.sum()), first=0))
    return np.clip(blocking, 0.0, 1.0)


def _far(x: Array, z: Array) -> NDArray[np.bool_]:
    """z so far beyond x (40 standard deviations) that P(x, z) = 1 in double precision."""
    return z - x > 40.0 * np.sqrt(x) + 40.0


def _log_kummer_tail(x: Array, z: Array) -> Array:
    """log (A(x, z) - 1), A(x, z) = 1 + sum_(j >= 1) z^j / ((x+1)(x+2)...(x+j)), exactly.

    The terms peak near j = z - x and fall off within a few sqrt(z) of it. Where z exceeds
    x by more than 40 sqrt(x) + 40 the sum is beyond e^800 and A - 1 equals A to double
    precision: Gamma(x+1) e^z z^-x P(x, z), with P(x, z) = 1 there.
    """
    out = np.empty(len(x))
    with np.errstate(divide="ignore"):
        far = _far(x, z)
        out[far] = gammaln(x[far] + 1) + z[far] - x[far] * np.log(z[far])
        near = np.flatnonzero(~far)
        if near.size:
            xn, log_z = x[near], np.log(z[near])

            def ratio(rows: NDArray[np.intp], j: Array) -> Array:
                return log_z[rows, None] - np.log(xn[rows, None] + j)

            out[near] = _log_series(ratio, near.size, first=1)
    return out


def _erlang_c_arrays(n: Array, a: Array, aht: Array, within: float) -> dict[str, Array]:
    """Erlang C for n >= 1, a > 0 (arrays of one shape); unstable rows handled explicitly."""
    stable = n > a
    rho = a / n
    blocking = _erlang_b(n, a)
    with np.errstate(divide="ignore", invalid="ignore"):
        wait = blocking / (1.0 - rho * (1.0 - blocking))
        wait = np.where(stable, np.clip(wait, 0.0, 1.0), 1.0)
        margin = np.where(stable, n - a, 1.0)
        service = np.where(stable, 1.0 - wait * np.exp(-margin * within / aht), 0.0)
        asa = np.where(stable, wait * aht / margin, math.inf)
    return {
        "prob_wait": wait,
        "service_level": np.clip(service, 0.0, 1.0),
        "asa": asa,
        "occupancy": np.minimum(rho, 1.0),
        "prob_abandon": np.zeros_like(a),
        "stable": stable,
    }


def _erlang_a_arrays(
    n: Array, a: Array, aht: Array, patience: Array, within: float
) -> dict[str, Array]:
    """Erlang A (M/M/n+M) for n >= 1, a > 0, finite patience (arrays of one shape).

    With x = n AHT^-1 / theta and y = lambda / theta (theta = 1 / patience), and
    P(s, z) the regularised lower incomplete gamma function (Mandelbaum and Zeltyn):
      A = 1 + sum_j y^j / ((x+1)...(x+j)) = Gamma(x+1) e^y y^-x P(x, y),
      P(wait) = B A / (1 + (A - 1) B), B Erlang B,
      P(abandon | wait) = 1 - P(x+1, y) / (rho P(x, y)),
      P(answered within T | wait) = (P(x+1, y) - P(x+1, y e^(-theta T))) / (rho P(x, y)).
    The last is the integral of the offered wait's density times P(patience > t).
    """
    x = n * patience / aht
    y = a * patience / aht
    q = np.exp(-within / patience)
    rho = a / n
    blocking = _erlang_b(n, a)
    base = gammainc(x, y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_a = gammaln(x + 1) + y - x * np.log(y) + np.log(base)
        served = gammainc(x + 1, y) / base  # = 1 - 1/A
        late = served - gammainc(x + 1, y * q) / base
    exact = ~((base > _TINY) & (x <= _GAMMA_MAX))
    if np.any(exact):
        xe, ye, qe = x[exact], y[exact], q[exact]
        gap = -np.expm1(-within / patience[exact])  # 1 - q, without cancellation
        tail = _log_kummer_tail(xe, ye)
        log_a[exact] = np.logaddexp(0.0, tail)
        served[exact] = np.exp(tail - log_a[exact])
        # P(x+1, yq) / P(x, y) = (A(x, yq) - 1) q^x e^(y (1-q)) / A(x, y)
        log_scale = -n[exact] * within / aht[exact] + ye * gap
        with np.errstate(divide="ignore"):
            shifted = _log_kummer_tail(xe, ye * qe) + log_scale - log_a[exact]
        late[exact] = served[exact] - np.exp(shifted)
        # far beyond the agents (A > e^800) say it without the rounding of huge logs: every
        # caller waits, and none is answered in time if even y e^(-theta T) is far beyond
        far, far_q = _far(xe, ye), _far(xe, ye * qe)
        served[exact] = np.where(far, 1.0, served[exact])
        late[exact] = np.where(far, np.where(far_q, 0.0, -np.expm1(shifted)), late[exact])
    inverse_a = np.exp(-log_a)
    wait = blocking / (blocking + (1.0 - blocking) * inverse_a)
    abandon_if_wait = np.clip(1.0 - served / rho, 0.0, 1.0)
    abandon = wait * abandon_if_wait
    service = (1.0 - wait) + wait * np.clip(late / rho, 0.0, 1.0)
    return {
        "prob_wait": np.clip(wait, 0.0, 1.0),
        "service_level": np.clip(service, 0.0, 1.0),
        "asa": abandon * patience,
        "occupancy": np.clip(rho * (1.0 - abandon), 0.0, 1.0),
        "prob_abandon": abandon,
        "stable": np.ones(n.shape, dtype=bool),
    }


def _evaluate(n: Array, a: Array, aht: Array, patience: Array, within: float) -> dict[str, Array]:
    """Either model, row by row (patience inf -> Erlang C), including the trivial rows:
    no calls (nothing waits), and no agents with calls (everybody waits)."""
    shape = n.shape
    out = {
        "prob_wait": np.zeros(shape),
        "service_level": np.ones(shape),
        "asa": np.zeros(shape),
        "occupancy": np.zeros(shape),
        "prob_abandon": np.zeros(shape),
        "stable": np.ones(shape, dtype=bool),
    }
    nobody = (a > 0) & (n == 0)
    out["prob_wait"][nobody] = 1.0
    out["service_level"][nobody] = 0.0
    out["occupancy"][nobody] = 1.0  # 0/0: saturated, like an unstable Erlang C
    impatient = nobody & np.isfinite(patience)
    out["asa"][nobody] = np.where(impatient[nobody], patience[nobody], math.inf)
    out["prob_abandon"][impatient] = 1.0
    out["stable"][nobody & ~impatient] = False
    busy = (a > 0) & (n > 0)
    for rows, kernel in (
        (busy & ~np.isfinite(patience), "c"),
        (busy & np.isfinite(patience), "a"),
    ):
        if not np.any(rows):
            continue
        if kernel == "c":
            part = _erlang_c_arrays(n[rows], a[rows], aht[rows], within)
        else:
            part = _erlang_a_arrays(n[rows], a[rows], aht[rows], patience[rows], within)
        for key, value in part.items():
            out[key][rows] = value
    return out


def _performance(n: int, a: float, aht: float, patience: float, within: float) -> Performance:
    rows = _evaluate(
        np.array([float(n)]), np.array([a]), np.array([aht]), np.array([patience]), within
    )
    return Performance(
        model="erlang_c" if math.isinf(patience) else "erlang_a",
        agents=n,
        load=a,
        prob_wait=float(rows["prob_wait"][0]),
        service_level=float(rows["service_level"][0]),
        asa=float(rows["asa"][0]),
        occupancy=float(rows["occupancy"][0]),
        prob_abandon=float(rows["prob_abandon"][0]),
        stable=bool(rows["stable"][0]),
    )


# ---------------------------------------------------------------------------- public API


def offered_load(calls: float, interval: float, aht: float) -> float:
    """Erlangs: the average number of calls in progress if nobody ever waited."""
    c = float(_check_calls(calls))
    i = float(_check_positive(interval, "interval", "时段长度"))
    h = float(_check_positive(aht, "AHT", "平均处理时长"))
    return c * h / i


def erlang_b(agents: int, load: float) -> float:
    """Erlang B: the share of calls lost when there is no queue at all."""
    n = _check_agents(agents)
    a = _check_load(load)
    if a == 0:
        return 0.0 if n > 0 else 1.0
    return float(_erlang_b(np.array([float(n)]), np.array([a]))[0])


def erlang_c(agents: int, load: float, *, aht: float, within: float = 0.0) -> Performance:
    """Erlang C (M/M/c): callers wait as long as it takes.

    With agents <= load the queue grows without bound: prob_wait 1, service level 0,
    asa math.inf, occupancy 1, stable False.
    """
    n = _check_agents(agents)
    a = _check_load(load)
    h = float(_check_positive(aht, "AHT", "平均处理时长"))
    _check_within(within)
    return _performance(n, a, h, math.inf, float(within))


def erlang_a(
    agents: int, load: float, *, aht: float, patience: float, within: float = 0.0
) -> Performance:
    """Erlang A (M/M/c+M): callers hang up after an exponential patience of mean `patience`
    seconds; always stable. math.inf patience gives Erlang C."""
    n = _check_agents(agents)
    a = _check_load(load)
    h = float(_check_positive(aht, "AHT", "平均处理时长"))
    p = float(_check_patience(patience))
    _check_within(within)
    return _performance(n, a, h, p, float(within))


def rostered_positions(raw: int, shrinkage: float) -> int:
    """Agents to schedule so that `raw` are on the phones after shrinkage (breaks, meetings,
    training, absence): ceil(raw / (1 - shrinkage)), free of float noise (21 / (1 - 0.3)
    is 30, not 31)."""
    _check_shrinkage(shrinkage)
    raw = _check_agents(raw)
    return math.ceil(round(raw / (1.0 - shrinkage), 9))


def required_agents(
    calls: float,
    *,
    interval: float,
    aht: float,
    target: float,
    within: float,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
    patience: float | None = None,
) -> Staffing:
    """The fewest agents for one interval meeting the service level target within `within`
    seconds (and the occupancy cap, if given); Erlang A when `patience` is given."""
    result = plan(
        [calls],
        interval=interval,
        aht=aht,
        target=target,
        within=within,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        patience=patience,
    )
    return Staffing(
        calls=float(result.calls[0]),
        interval=float(result.interval[0]),
        aht=float(result.aht[0]),
        load=float(result.load[0]),
        raw=int(result.raw[0]),
        rostered=int(result.rostered[0]),
        performance=Performance(
            model=result.model,
            agents=int(result.raw[0]),
            load=float(result.load[0]),
            prob_wait=float(result.prob_wait[0]),
            service_level=float(result.service_level[0]),
            asa=float(result.asa[0]),
            occupancy=float(result.occupancy[0]),
            prob_abandon=float(result.prob_abandon[0]),
            stable=True,
        ),
    )


def _smallest(ok: Callable[[Array, NDArray[np.intp]], NDArray[np.bool_]], guess: Array) -> Array:
    """Per row, the smallest n >= 1 with ok(n), ok monotone in n: gallop from the guess
    (doubling the step) until the answer is bracketed, then bisect. A good guess costs a
    handful of evaluations per row, each one vectorised over all the rows still open."""
    rows = np.arange(len(guess))
    guess = np.maximum(guess, 1.0)
    good = ok(guess, rows)
    lo = np.where(good, 0.0, guess)  # largest n known to fail (0: nothing below 1)
    hi = np.where(good, guess, math.inf)  # smallest n known to pass
    step = np.ones(len(guess))
    # gallop: rows that passed probe downwards, rows that failed upwards
    open_ = np.flatnonzero(hi - lo > 1)
    while open_.size:
        down = np.isfinite(hi[open_])
        probe = np.where(
            down,
            np.maximum(hi[open_] - step[open_], lo[open_] + 1),
            lo[open_] + step[open_],
        )
        passed = ok(probe, open_)
        hi[open_] = np.where(passed, np.minimum(hi[open_], probe), hi[open_])
        lo[open_] = np.where(passed, lo[open_], np.maximum(lo[open_], probe))
        step[open_] *= 2
        if np.any(step[open_] > 2.0**70):  # only NaN from absurd inputs gets here
            _fail(
                "the search for the number of agents did not converge",
                "坐席数的搜索未能收敛",
            )
        # bracketed once a failing n below a passing n is known
        keep = np.isinf(hi[open_]) | (down & passed & (hi[open_] - lo[open_] > 1))
        open_ = open_[keep]
    # bisect inside the brackets
    open_ = np.flatnonzero(hi - lo > 1)
    while open_.size:
        mid = np.floor((lo[open_] + hi[open_]) / 2)
        passed = ok(mid, open_)
        hi[open_] = np.where(passed, mid, hi[open_])
        lo[open_] = np.where(passed, lo[open_], mid)
        open_ = open_[hi[open_] - lo[open_] > 1]
    return hi


def plan(
    calls: ArrayLike,
    *,
    interval: ArrayLike,
    aht: ArrayLike,
    target: float,
    within: float,
    shrinkage: float = 0.0,
    max_occupancy: float | None = None,
    patience: ArrayLike | None = None,
) -> Plan:
    """Staff many intervals at once: calls per interval (any shape; the plan's arrays are
    flattened in C order), with the interval length, AHT and patience (seconds) either one
    number or one per interval (broadcast).

    Erlang C without `patience`, Erlang A with it; a patience of math.inf in some intervals
    makes those Erlang C (model "mixed"), NaN is refused. The service level, occupancy and
    other figures are those of the raw positions. Intervals with no calls need no agents.
    The search is vectorised: a square-root-staffing guess, galloping, then bisection,
    each step one evaluation over all the intervals still open.
    """
    _check_target(target)
    _check_within(within)
    _check_shrinkage(shrinkage)
    _check_occupancy(max_occupancy)
    try:
        c, i, h, p = (
            np.ravel(v)
            for v in np.broadcast_arrays(
                _check_calls(calls),
                _check_positive(interval, "interval", "时段长度"),
                _check_positive(aht, "AHT", "平均处理时长"),
                _check_patience(patience),
            )
        )
    except ValueError as error:
        if isinstance(error, StaffingError):
            raise
        raise StaffingError(
            "calls, interval, AHT and patience must have matching lengths",
            zh="来电量、时段长度、平均处理时长和耐心时长的个数必须一致",
        ) from None
    c, i, h, p = (np.array(v, dtype=float) for v in (c, i, h, p))
    load = c * h / i
    if np.any(load > _MAX_LOAD):
        _fail(
            f"an offered load above {_MAX_LOAD:g} Erlangs is beyond any call centre",
            f"话务量超过 {_MAX_LOAD:g} 爱尔兰，超出任何呼叫中心的规模",
        )
    model = "erlang_c" if np.all(np.isinf(p)) else "erlang_a" if np.all(np.isfinite(p)) else "mixed"
    cap = math.inf if max_occupancy is None else max_occupancy + _OCC_TOL
    within = float(within)

    def ok(n: Array, rows: NDArray[np.intp]) -> NDArray[np.bool_]:
        got = _evaluate(n, load[rows], h[rows], p[rows], within)
        return (got["service_level"] >= target) & (got["occupancy"] <= cap) & got["stable"]

    raw = np.zeros(len(c))
    busy = np.flatnonzero(load > 0)
    if busy.size:
        a = load[busy]
        # square-root staffing as the first guess; Erlang C never needs fewer than a + 1
        guess = np.ceil(a + np.sqrt(a))
        if max_occupancy is not None:
            guess = np.maximum(guess, np.ceil(a / max_occupancy))

        def ok_busy(n: Array, rows: NDArray[np.intp]) -> NDArray[np.bool_]:
            return ok(n, busy[rows])

        raw[busy] = _smallest(ok_busy, guess)
    got = _evaluate(raw, load, h, p, within)
    rostered = np.ceil(np.round(raw / (1.0 - shrinkage), 9))
    return Plan(
        model=model,
        calls=c,
        interval=i,
        aht=h,
        patience=p,
        load=load,
        raw=raw.astype(np.int64),
        rostered=rostered.astype(np.int64),
        service_level=got["service_level"],
        prob_wait=got["prob_wait"],
        asa=got["asa"],
        occupancy=got["occupancy"],
        prob_abandon=got["prob_abandon"],
    )
