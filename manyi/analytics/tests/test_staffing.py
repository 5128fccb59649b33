"""Erlang C and Erlang A against published figures and against the queues themselves.

The references: the textbook example (100 calls per half hour, AHT 180 s, 80/20 -> 14
agents, 20 rostered at 30% shrinkage) and its Erlang A counterpart with 5 minutes of mean
patience (Mandelbaum and Zeltyn's figures: 0.14526, 0.013984, 0.069919 min, 0.916792). The
independent checks solve the birth-death chains directly, state by state, with no Erlang
formula: the stationary distribution, and for each caller the time to reach an agent.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import linalg, stats
from scipy.special import gammaln

from manyi.analytics import staffing
from manyi.analytics.staffing import (
    Performance,
    StaffingError,
    erlang_a,
    erlang_b,
    erlang_c,
    offered_load,
    plan,
    required_agents,
    rostered_positions,
)

EXAMPLE = {"interval": 1800, "aht": 180, "target": 0.8, "within": 20}


# ---------------------------------------------------------------------------- references


def erlang_b_recursion(n: int, a: float) -> float:
    """The classic stable recursion B(k) = a B(k-1) / (k + a B(k-1))."""
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


def mmc_direct(n: int, a: float, aht: float, within: float) -> tuple[float, float, float]:
    """M/M/n from its stationary distribution summed state by state (in logs, so 1,000
    agents work): P(wait), P(wait <= within), mean wait. A caller finding k >= n in the
    system waits for k - n + 1 departures at rate n / aht, an Erlang distribution."""
    rho = a / n
    top = n + int(math.log(1e-20) / math.log(rho)) + 1
    k = np.arange(top + 1)
    log_p = np.where(
        k <= n,
        k * math.log(a) - gammaln(k + 1),
        n * math.log(a) - gammaln(n + 1) + (k - n) * math.log(rho),
    )
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    waiting, ahead = p[n:], k[n:] - n + 1
    late = stats.gamma.sf(within, a=ahead, scale=aht / n)
    return waiting.sum(), 1.0 - (waiting * late).sum(), (waiting * ahead * aht / n).sum()


def palm_direct(n: int, a: float, aht: float, patience: float, within: float) -> dict[str, float]:
    """M/M/n+M from its birth-death chain, truncated where the states stop mattering, and
    the service level from the chain of one caller's place in the queue (each of the i
    ahead may hang up, the head goes to an agent at rate n / aht, the caller may hang up)."""
    lam, mu, theta = a / aht, 1 / aht, 1 / patience
    log_p = [k * math.log(a) - math.lgamma(k + 1) for k in range(n + 1)]
    j = 0
    while True:
        j += 1
        log_p.append(log_p[-1] + math.log(lam / (n * mu + j * theta)))
        if log_p[-1] < max(log_p) - 50 and lam < n * mu + j * theta:
            break
    p = np.exp(np.array(log_p) - max(log_p))
    p /= p.sum()
    waiting = p[n:]
    queue = float((np.arange(len(waiting)) * waiting).sum())
    result = {
        "prob_wait": float(waiting.sum()),
        "prob_abandon": theta * queue / lam,
        "asa": queue / lam,  # Little's law over the queue
    }
    if within is None:
        return result
    size = len(waiting)  # the caller finds i = 0 .. size-1 waiting ahead
    served, gone = size, size + 1
    generator = np.zeros((size + 2, size + 2))
    for i in range(size):
        generator[i, i - 1 if i else served] = n * mu + i * theta
        generator[i, gone] = theta
        generator[i, i] = -(n * mu + i * theta + theta)
    reached = linalg.expm(generator * within)[:size, served]
    return {**result, "service_level": float(1 - waiting.sum() + (waiting * reached).sum())}


def meets(p: Performance, target: float, max_occupancy: float | None) -> bool:
    cap = math.inf if max_occupancy is None else max_occupancy + 1e-12
    return p.stable and p.service_level >= target and p.occupancy <= cap


def performance(n: int, load: float, aht: float, within: float, patience: float | None):
    if patience is None:
        return erlang_c(n, load, aht=aht, within=within)
    return erlang_a(n, load, aht=aht, patience=patience, within=within)


# ---------------------------------------------------------------------------- published


def test_the_published_erlang_c_example() -> None:
    result = required_agents(100, shrinkage=0.3, **EXAMPLE)
    assert result.load == pytest.approx(10.0)
    assert (result.raw, result.rostered) == (14, 20)
    p = result.performance
    assert p.model == "erlang_c" and p.agents == 14 and p.stable
    assert p.service_level == pytest.approx(0.888, abs=5e-4)
    assert p.occupancy == pytest.approx(0.714, abs=5e-4)
    assert p.prob_wait == pytest.approx(0.174, abs=5e-4)
    assert p.prob_abandon == 0.0
    assert erlang_c(14, 10.0, aht=180, within=20) == p
    assert erlang_c(13, 10.0, aht=180, within=20).service_level < 0.8  # 13 miss


def test_the_published_erlang_a_example() -> None:
    p = erlang_a(14, 10.0, aht=180, patience=300, within=20)
    assert p.model == "erlang_a" and p.stable
    assert p.prob_wait == pytest.approx(0.14526, abs=5e-6)
    assert p.prob_abandon == pytest.approx(0.013984, abs=5e-7)
    assert p.asa / 60 == pytest.approx(0.069919, abs=5e-7)  # minutes
    assert p.service_level == pytest.approx(0.916792, abs=5e-7)
    assert p.occupancy == pytest.approx(10 / 14 * (1 - p.prob_abandon))


def test_erlang_a_required_agents_use_the_erlang_a_service_level() -> None:
    result = required_agents(100, shrinkage=0.3, patience=300, **EXAMPLE)
    assert result.performance.model == "erlang_a"
    assert result.raw == 13 and result.rostered == 19
    assert result.performance.service_level >= 0.8
    assert erlang_a(12, 10.0, aht=180, patience=300, within=20).service_level < 0.8


def test_an_occupancy_cap_adds_agents() -> None:
    assert required_agents(100, max_occupancy=0.7, **EXAMPLE).raw == 15  # 10/15 = 0.667
    assert required_agents(100, max_occupancy=10 / 14, **EXAMPLE).raw == 14  # exactly met
    assert required_agents(100, max_occupancy=0.9, **EXAMPLE).raw == 14  # the SL binds


def test_rostered_positions_round_up_without_float_noise() -> None:
    assert rostered_positions(14, 0.3) == 20
    assert rostered_positions(21, 0.3) == 30  # 21 / (1 - 0.3) = 30.000000000000004
    assert rostered_positions(1, 0.9) == 10
    assert rostered_positions(15, 0.3) == 22
    assert rostered_positions(7, 0.0) == 7
    assert rostered_positions(0, 0.5) == 0


# ---------------------------------------------------------------------------- independent


@pytest.mark.parametrize(
    ("n", "a", "aht", "within"),
    [(14, 10.0, 180, 20), (1, 0.3, 60, 10), (30, 27.5, 240, 0), (12, 2.0, 600, 30)],
)
def test_erlang_c_equals_the_summed_stationary_distribution(n, a, aht, within) -> None:
    wait, service, asa = mmc_direct(n, a, aht, within)
    p = erlang_c(n, a, aht=aht, within=within)
    assert p.prob_wait == pytest.approx(wait, rel=1e-10)
    assert p.service_level == pytest.approx(service, rel=1e-10)
    assert p.asa == pytest.approx(asa, rel=1e-10)


def test_a_thousand_agents_and_more() -> None:
    for n, a in ((1030, 1000.0), (2100, 2000.0), (5200, 5000.0)):
        wait, service, asa = mmc_direct(n, a, 180, 20)
        p = erlang_c(n, a, aht=180, within=20)
        assert p.prob_wait == pytest.approx(wait, rel=1e-9)
        assert p.service_level == pytest.approx(service, rel=1e-9)
        assert p.asa == pytest.approx(asa, rel=1e-9)
        assert erlang_b(n, a) == pytest.approx(erlang_b_recursion(n, a), rel=1e-9)
    big = required_agents(20_000, interval=1800, aht=180, target=0.8, within=20)
    assert 2000 < big.raw < 2030
    assert big.performance.service_level >= 0.8
    assert erlang_c(big.raw - 1, 2000.0, aht=180, within=20).service_level < 0.8


@pytest.mark.parametrize(
    ("n", "a", "aht", "patience", "within"),
    [
        (14, 10.0, 180, 300, 20),  # the published example
        (5, 6.0, 300, 60, 30),  # more calls than agents: stable all the same
        (50, 45.0, 240, 600, 15),
        (3, 0.5, 120, 30, 10),
        (20, 28.0, 200, 100, 20),
        (40, 20.0, 180, 3600, 60),
        (8, 7.0, 90, 5, 0),  # very impatient, no answer time
    ],
)
def test_erlang_a_equals_the_birth_death_chain(n, a, aht, patience, within) -> None:
    direct = palm_direct(n, a, aht, patience, within)
    p = erlang_a(n, a, aht=aht, patience=patience, within=within)
    assert p.prob_wait == pytest.approx(direct["prob_wait"], rel=1e-9)
    assert p.prob_abandon == pytest.approx(direct["prob_abandon"], rel=1e-8)
    assert p.asa == pytest.approx(direct["asa"], rel=1e-8)
    assert p.service_level == pytest.approx(direct["service_level"], rel=1e-8, abs=1e-12)


@pytest.mark.parametrize(
    ("n", "a", "aht", "patience"),
    [(300, 299.0, 5.0, 1e5), (120, 119.0, 5.0, 1e7), (2000, 1990.0, 60.0, 6000.0)],
)
def test_erlang_a_with_very_patient_callers_equals_the_chain(n, a, aht, patience) -> None:
    # agents x patience / AHT from 6e6 to 2e8: where scipy's incomplete gamma drifts and
    # the exact series take over
    direct = palm_direct(n, a, aht, patience, within=None)
    p = erlang_a(n, a, aht=aht, patience=patience, within=0)
    assert p.prob_wait == pytest.approx(direct["prob_wait"], rel=1e-9)
    assert p.prob_abandon == pytest.approx(direct["prob_abandon"], rel=1e-7)
    assert p.asa == pytest.approx(direct["asa"], rel=1e-7)


@pytest.mark.parametrize(
    ("n", "a", "aht", "patience", "within"),
    [(14, 10.0, 180, 300, 20), (300, 250.0, 60, 600, 15), (12, 3.0, 180, 60, 30)],
)
def test_the_series_and_the_incomplete_gamma_forms_agree(
    monkeypatch, n, a, aht, patience, within
) -> None:
    gamma = erlang_a(n, a, aht=aht, patience=patience, within=within)
    monkeypatch.setattr(staffing, "_TINY", 2.0)  # every row takes the series
    series = erlang_a(n, a, aht=aht, patience=patience, within=within)
    for field in ("prob_wait", "prob_abandon", "asa", "service_level", "occupancy"):
        assert getattr(series, field) == pytest.approx(getattr(gamma, field), rel=1e-9)
    for n_b, a_b in ((5, 20.0), (100, 10_000.0), (30, 31.0)):
        assert erlang_b(n_b, a_b) == pytest.approx(erlang_b_recursion(n_b, a_b), rel=1e-12)


def test_extreme_loads_stay_finite() -> None:
    flooded = erlang_a(100, 10_000.0, aht=180, patience=300, within=20)
    assert flooded.prob_wait == pytest.approx(1.0)
    assert flooded.prob_abandon == pytest.approx(1 - 100 / 10_000, rel=1e-6)
    assert flooded.service_level == pytest.approx(0.0, abs=1e-12)
    idle = erlang_a(1400, 100.0, aht=180, patience=300, within=20)
    assert (idle.prob_wait, idle.service_level) == (pytest.approx(0.0), pytest.approx(1.0))
    assert erlang_b(10, 10_000.0) == pytest.approx(erlang_b_recursion(10, 10_000.0))
    assert erlang_b(1000, 10.0) == 0.0


# ---------------------------------------------------------------------------- edges


def test_unstable_erlang_c_is_explicit() -> None:
    for n in (0, 5, 10):
        p = erlang_c(n, 10.0, aht=180, within=20)
        assert p.prob_wait == 1.0 and p.service_level == 0.0
        assert p.asa == math.inf and not p.stable and p.occupancy == 1.0
    assert erlang_c(11, 10.0, aht=180, within=20).stable


def test_no_calls_and_no_agents() -> None:
    idle = erlang_c(0, 0.0, aht=180, within=20)
    assert (idle.prob_wait, idle.service_level, idle.asa) == (0.0, 1.0, 0.0)
    assert required_agents(0, **EXAMPLE).raw == 0
    alone = erlang_a(0, 2.0, aht=180, patience=120, within=20)
    assert (alone.prob_abandon, alone.asa, alone.service_level) == (1.0, 120.0, 0.0)
    assert erlang_b(0, 3.0) == 1.0 and erlang_b(3, 0.0) == 0.0
    assert offered_load(100, 1800, 180) == pytest.approx(10.0)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: required_agents(-1, **EXAMPLE), "负数"),
        (lambda: required_agents(100, **{**EXAMPLE, "aht": 0}), "平均处理时长"),
        (lambda: required_agents(100, **{**EXAMPLE, "interval": -5}), "时段长度"),
        (lambda: required_agents(100, **{**EXAMPLE, "target": 0}), "服务水平目标"),
        (lambda: required_agents(100, **{**EXAMPLE, "target": 1.0}), "服务水平目标"),
        (lambda: required_agents(100, **{**EXAMPLE, "within": -1}), "接通时限"),
        (lambda: required_agents(100, shrinkage=1.0, **EXAMPLE), "缺勤损耗率"),
        (lambda: required_agents(100, shrinkage=-0.1, **EXAMPLE), "缺勤损耗率"),
        (lambda: required_agents(100, max_occupancy=0, **EXAMPLE), "最高占用率"),
        (lambda: required_agents(100, max_occupancy=1.2, **EXAMPLE), "最高占用率"),
        (lambda: required_agents(100, patience=0, **EXAMPLE), "耐心时长"),
        (lambda: required_agents(float("nan"), **EXAMPLE), "来电量"),
        (lambda: required_agents(1e14, **EXAMPLE), "超出任何呼叫中心"),
        (lambda: plan([1, 2, 3], **{**EXAMPLE, "aht": [180, 200]}), "个数必须一致"),
        (lambda: erlang_c(-1, 10.0, aht=180), "坐席数"),
        (lambda: erlang_c(2.5, 10.0, aht=180), "坐席数"),  # type: ignore[arg-type]
        (lambda: erlang_a(3, -1.0, aht=180, patience=60), "话务量"),
        (lambda: rostered_positions(10, 1.5), "缺勤损耗率"),
    ],
)
def test_bad_input_is_refused_in_both_languages(call, fragment) -> None:
    with pytest.raises(StaffingError) as caught:
        call()
    assert isinstance(caught.value, ValueError)
    assert fragment in caught.value.zh
    assert str(caught.value)  # and in English


# ---------------------------------------------------------------------------- plans


def test_a_plan_for_50_branches_by_96_intervals_matches_interval_by_interval() -> None:
    rng = np.random.default_rng(7)
    hours = np.arange(96) / 4
    profile = np.exp(-(((hours - 11) / 3) ** 2)) + 0.8 * np.exp(-(((hours - 15) / 2.5) ** 2))
    calls = np.round(rng.uniform(5, 150, (50, 1)) * profile * rng.uniform(0.9, 1.1, (50, 96)))
    aht = rng.uniform(150, 400, (50, 96))
    for patience in (None, 240.0):
        result = plan(
            calls,
            interval=900,
            aht=aht,
            target=0.8,
            within=20,
            shrinkage=0.3,
            max_occupancy=0.9,
            patience=patience,
        )
        assert len(result) == 4800
        frame = pd.DataFrame(result.as_dict())
        assert frame.shape[0] == 4800 and {"raw", "rostered", "asa"} <= set(frame.columns)
        assert frame["model"].iloc[0] == ("erlang_c" if patience is None else "erlang_a")
        assert (frame.loc[frame["calls"] == 0, "raw"] == 0).all()
        for index in rng.choice(4800, size=40, replace=False):
            one = required_agents(
                float(calls.flat[index]),
                interval=900,
                aht=float(aht.flat[index]),
                target=0.8,
                within=20,
                shrinkage=0.3,
                max_occupancy=0.9,
                patience=patience,
            )
            assert (one.raw, one.rostered) == (result.raw[index], result.rostered[index])
            assert one.performance.service_level == pytest.approx(result.service_level[index])


def test_a_plan_takes_one_number_or_one_per_interval() -> None:
    result = plan([100, 0, 50], interval=[1800, 1800, 900], aht=180, target=0.8, within=20)
    assert list(result.raw) == [14, 0, 14]
    assert list(result.load) == pytest.approx([10.0, 0.0, 10.0])
    assert np.isinf(result.patience).all() and result.model == "erlang_c"
    mixed = plan(
        [100, 100], aht=180, interval=1800, target=0.8, within=20, patience=[300, math.inf]
    )
    assert mixed.model == "mixed" and list(mixed.raw) == [13, 14]


# ---------------------------------------------------------------------------- properties

loads = st.floats(min_value=0.01, max_value=400.0)
ahts = st.floats(min_value=5.0, max_value=3600.0)
withins = st.floats(min_value=0.0, max_value=600.0)
patiences = st.floats(min_value=1.0, max_value=1e5)


@settings(max_examples=300, deadline=None)
@given(load=loads, aht=ahts, within=withins, patience=st.none() | patiences, data=st.data())
def test_more_agents_never_hurt(load, aht, within, patience, data) -> None:
    n = data.draw(st.integers(min_value=0, max_value=int(2 * load) + 10))
    fewer = performance(n, load, aht, within, patience)
    more = performance(n + 1, load, aht, within, patience)
    assert more.service_level >= fewer.service_level - 1e-9
    assert more.asa <= fewer.asa * (1 + 1e-9) + 1e-12 or math.isinf(fewer.asa)
    assert more.prob_wait <= fewer.prob_wait + 1e-12
    assert more.occupancy <= fewer.occupancy + 1e-12
    for p in (fewer, more):
        for value in (p.prob_wait, p.service_level, p.occupancy, p.prob_abandon):
            assert 0.0 <= value <= 1.0
        assert p.asa >= 0.0
        if patience is not None:
            assert p.prob_abandon <= p.prob_wait + 1e-12


@settings(max_examples=200, deadline=None)
@given(load=st.floats(min_value=0.05, max_value=300.0), aht=ahts, within=withins, data=st.data())
def test_erlang_a_tends_to_erlang_c_as_patience_grows(load, aht, within, data) -> None:
    n = data.draw(st.integers(min_value=math.floor(load) + 1, max_value=int(2 * load) + 5))
    assume(n - load >= 0.01)
    c = erlang_c(n, load, aht=aht, within=within)
    # hang-ups start to matter once patience is below aht x load / (agents - load)^2, the
    # heavy-traffic scale (the queue is ~ load / spare agents long, each spare agent frees
    # one place per AHT)
    scale = aht * (1 + load / (n - load) ** 2)
    gaps = []
    for factor in (1e2, 1e4, 1e6):
        a = erlang_a(n, load, aht=aht, patience=factor * scale, within=within)
        assert a.prob_wait <= c.prob_wait + 1e-9  # hang-ups only shorten the queue
        gaps.append(
            abs(a.service_level - c.service_level)
            + abs(a.prob_wait - c.prob_wait)
            + abs(a.asa - c.asa) / (aht + c.asa)
        )
        last = a
    # the gap closes like 1 / patience: a hundredfold longer patience, a far smaller gap
    # (at the longest patience the floating-point error of the series, ~1e-5, is reached)
    assert gaps[1] <= gaps[0] / 10 + 1e-9
    assert gaps[2] <= max(gaps[1] / 10, 1e-4)
    assert last.prob_wait == pytest.approx(c.prob_wait, abs=1e-5)
    assert last.service_level == pytest.approx(c.service_level, abs=1e-5)
    assert last.asa == pytest.approx(c.asa, rel=1e-4, abs=1e-9 * aht)
    assert last.prob_abandon < 1e-5


@settings(max_examples=300, deadline=None)
@given(load=loads, aht=ahts, within=withins)
def test_unstable_erlang_c_never_has_a_finite_wait(load, aht, within) -> None:
    n = math.floor(load)
    assume(n <= load)
    p = erlang_c(n, load, aht=aht, within=within)
    assert p.prob_wait == 1.0 and math.isinf(p.asa) and not p.stable


@settings(max_examples=300, deadline=None)
@given(
    calls=st.floats(min_value=0.0, max_value=3000.0),
    interval=st.sampled_from([900.0, 1800.0, 3600.0]),
    aht=st.floats(min_value=20.0, max_value=900.0),
    target=st.floats(min_value=0.05, max_value=0.99),
    within=st.floats(min_value=0.0, max_value=300.0),
    max_occupancy=st.none() | st.floats(min_value=0.5, max_value=1.0),
    patience=st.none() | st.floats(min_value=5.0, max_value=3600.0),
    shrinkage=st.floats(min_value=0.0, max_value=0.6),
)
def test_required_agents_are_the_fewest_that_meet_the_target(
    calls, interval, aht, target, within, max_occupancy, patience, shrinkage
) -> None:
    result = required_agents(
        calls,
        interval=interval,
        aht=aht,
        target=target,
        within=within,
        shrinkage=shrinkage,
        max_occupancy=max_occupancy,
        patience=patience,
    )
    load = calls * aht / interval
    assert result.load == pytest.approx(load)
    at = performance(result.raw, load, aht, within, patience)
    assert at == result.performance
    assert meets(at, target, max_occupancy)
    if result.raw:
        assert not meets(
            performance(result.raw - 1, load, aht, within, patience), target, max_occupancy
        )
    assert result.rostered == math.ceil(round(result.raw / (1 - shrinkage), 9))
    assert result.rostered >= result.raw
