"""The queue-design simulation: it agrees with Erlang C where Erlang C holds, it is
reproducible, it shows what the theory says about the designs, and it accounts for every
customer it is given."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from manyi.analytics.queue_policy import Policy
from manyi.analytics.queue_sim import (
    DESIGNS,
    Counter,
    Patience,
    Scenario,
    Service,
    ServiceTime,
    SimulationInputError,
    simulate,
    simulate_day,
)

SERVED, ABANDONED, NO_SHOW, UNSERVED = 1, 2, 3, 4


def erlang_c_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean wait in queue (Wq) of M/M/c, by the standard Erlang C formula."""
    a = arrival_rate / service_rate
    top = a**servers / math.factorial(servers) * servers / (servers - a)
    waits = top / (sum(a**k / math.factorial(k) for k in range(servers)) + top)
    return waits / (servers * service_rate - arrival_rate)


def mmc(
    servers: int,
    mean_service: float,
    load: float,
    hours: int,
    *,
    warmup_hours: float = 0.0,
    mix: dict[str, float] | None = None,
    policy: Policy | None = None,
    jockeying: bool = True,
    patience: Patience | None = None,
) -> Scenario:
    """A stationary M/M/c day: constant Poisson arrivals, exponential service, one service."""
    per_hour = load * servers / mean_service * 3600
    return Scenario(
        services=(
            Service(
                "A",
                (per_hour,) * hours,
                ServiceTime.exponential(mean_service),
                mix or {"ordinary": 1.0},
            ),
        ),
        counters=tuple(Counter(f"C{n}", ("A",)) for n in range(servers)),
        interval_seconds=3600.0,
        warmup_seconds=warmup_hours * 3600,
        jockeying=jockeying,
        patience=patience,
        policy=policy or Policy(),
    )


def test_an_mmc_simulation_agrees_with_erlang_c_within_its_interval():
    # rho = 0.8 on 3 counters; 40 hours a replication, the first 5 (from empty) discarded:
    # the relaxation time at this load is about two hours
    scenario = mmc(3, 240.0, 0.8, 40, warmup_hours=5)
    analytic = erlang_c_wait(0.8 * 3 / 240.0, 1 / 240.0, 3)
    assert analytic == pytest.approx(258.876, abs=1e-3)
    result = simulate(scenario, ("shared", "take_a_number"), replications=30, seed=2024)
    shared = result.design("shared").mean_wait
    assert shared.n == 30
    assert shared.contains(analytic), (analytic, shared)
    assert (shared.high - shared.low) / analytic < 0.35  # an interval that says something
    # one class, one service: take-a-number is first come first served, the same day
    assert result.design("take_a_number").mean_wait == shared


def test_the_same_seed_gives_the_same_result_and_another_seed_another():
    scenario = mmc(2, 300.0, 0.85, 4, mix={"vip": 0.2, "ordinary": 0.8})
    first = simulate(scenario, replications=3, seed=11).to_dict()
    assert simulate(scenario, replications=3, seed=11).to_dict() == first
    assert simulate(scenario, replications=3, seed=12).to_dict() != first
    # replication r does not depend on how many are run
    day = simulate_day(scenario, "per_counter", seed=11, replication=2)
    again = simulate_day(scenario, "per_counter", seed=11, replication=2)
    assert np.array_equal(day.called_at, again.called_at, equal_nan=True)


def test_a_shared_line_is_never_worse_than_a_line_per_counter():
    scenario = mmc(4, 300.0, 0.85, 8, jockeying=False)
    result = simulate(scenario, ("shared", "per_counter"), replications=20, seed=5)
    # the same customers in both: the paired difference is clearly below zero
    difference = result.difference("shared", "per_counter").diff
    assert difference.high < 0, difference
    # customers who move to a line two shorter close most of the gap, never all of it
    jockeying = simulate(
        mmc(4, 300.0, 0.85, 8, jockeying=True), ("shared", "per_counter"), replications=20, seed=5
    )
    closer = jockeying.difference("shared", "per_counter").diff
    assert closer.mean <= 0
    assert difference.mean < closer.mean


def test_vips_wait_less_and_ordinary_customers_at_most_about_the_head_start_longer():
    """Half the customers VIP at 90% load: VIPs go ahead, yet an ordinary customer is
    overtaken only by VIPs who came within 10 minutes after them, so the ordinary p90 grows
    by less than the head start over the same day in one first-come line. Strict priority
    (an endless head start) does not keep that bound."""
    head_start = Policy().head_start_of("vip")
    mix = {"vip": 0.5, "ordinary": 0.5}
    fair = simulate(
        mmc(3, 240.0, 0.9, 8, mix=mix), ("shared", "take_a_number"), replications=30, seed=3
    )
    vip = fair.design("take_a_number").by_priority["vip"]
    ordinary = fair.design("take_a_number").by_priority["ordinary"]
    assert vip.mean_wait.high < ordinary.mean_wait.low
    line = fair.design("shared").by_priority["ordinary"]
    assert ordinary.p90_wait.mean - line.p90_wait.mean < head_start

    strict = simulate(
        mmc(3, 240.0, 0.9, 8, mix=mix, policy=Policy(head_start={"vip": 1e9})),
        ("shared", "take_a_number"),
        replications=30,
        seed=3,
    )
    unbounded = strict.design("take_a_number").by_priority["ordinary"].p90_wait.mean
    assert unbounded - line.p90_wait.mean > head_start


def test_customers_give_up_when_patience_is_short():
    patient = simulate(mmc(2, 300.0, 0.95, 6), replications=5, seed=1)
    hurried = simulate(
        mmc(2, 300.0, 0.95, 6, patience=Patience(mean=120.0)), replications=5, seed=1
    )
    for design in DESIGNS:
        assert patient.design(design).abandonment.mean == 0
        assert hurried.design(design).abandonment.mean > 0.2
        # those who stay are those who were called soon
        assert hurried.design(design).mean_wait.mean < patient.design(design).mean_wait.mean


def test_a_ticket_nobody_answers_costs_take_a_number_the_call_time():
    def scenario(call: float) -> Scenario:
        base = mmc(2, 300.0, 0.85, 6)
        return Scenario(
            services=base.services,
            counters=base.counters,
            interval_seconds=base.interval_seconds,
            no_show_share=0.25,
            no_show_call_seconds=call,
        )

    free = simulate(scenario(0.0), replications=10, seed=4)
    costly = simulate(scenario(60.0), replications=10, seed=4)
    assert costly.design("take_a_number").no_show.mean == pytest.approx(0.25, abs=0.03)
    assert (
        costly.design("take_a_number").mean_wait.mean > free.design("take_a_number").mean_wait.mean
    )
    # in a physical line a walk-away costs nobody anything
    assert costly.design("shared").mean_wait == free.design("shared").mean_wait


def _branch() -> Scenario:
    rng = np.random.default_rng(0)
    history = tuple(float(x) for x in rng.lognormal(math.log(240), 0.6, 200).round())
    morning = (10.0, 14.0, 18.0, 16.0, 12.0, 10.0, 8.0, 12.0)
    return Scenario(
        services=(
            Service(
                "cash",
                morning,
                ServiceTime.empirical(history),
                {"ordinary": 0.7, "vip": 0.1, "elderly": 0.15, "appointment": 0.05},
            ),
            Service("loan", tuple(x / 3 for x in morning), ServiceTime.lognormal(600.0, 0.8)),
        ),
        counters=(
            Counter("1", ("cash",)),
            Counter("2", ("cash", "loan")),
            Counter("3", ("loan", "cash"), open=1800.0),
            Counter("4", ("cash",), close=5400.0),
        ),
        patience=Patience(mean=1500.0),
        no_show_share=0.05,
    )


def test_take_a_number_without_priorities_preferences_or_no_shows_is_the_shared_line():
    """The fairness rule reduces to first come first served: the same calls, counter by
    counter, on a branch with three services and counters that serve several."""
    branch = _branch()
    plain = Scenario(
        services=tuple(Service(s.name, s.per_interval, s.service_time) for s in branch.services),
        counters=branch.counters,
        policy=Policy(by_preference=False),
    )
    for replication in range(3):
        line = simulate_day(plain, "shared", seed=3, replication=replication)
        tickets = simulate_day(plain, "take_a_number", seed=3, replication=replication)
        assert np.array_equal(line.called_at, tickets.called_at, equal_nan=True)
        assert np.array_equal(line.counter, tickets.counter)


def test_the_result_is_json_for_the_chart():
    scenario = _branch()
    result = simulate(scenario, replications=4, seed=9)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["interval_starts"] == [n * 900.0 for n in range(8)]
    assert [d["design"] for d in data["designs"]] == list(DESIGNS)
    shared = data["designs"][0]
    assert set(shared["mean_wait"]) == {"mean", "low", "high", "n"}
    assert shared["mean_wait"]["low"] <= shared["mean_wait"]["mean"] <= shared["mean_wait"]["high"]
    assert len(shared["curve"]["mean"]) == 8 == len(shared["curve"]["high"])
    assert shared["by_priority"]["elderly"]["label_zh"] == "老年及残障"
    assert set(shared["utilisation"]) == {"1", "2", "3", "4"}
    pairs = {(d["a"], d["b"], d["metric"]) for d in data["differences"]}
    assert ("shared", "take_a_number", "p90_wait") in pairs
    # the scenario travels as JSON too
    assert Scenario.from_dict(json.loads(json.dumps(scenario.to_dict()))) == scenario


def test_an_empirical_sample_is_resampled():
    day = simulate_day(_branch(), "shared", seed=1)
    cash = day.customers.service == 0
    history = set(_branch().services[0].service_time.sample)
    assert set(day.customers.service_time[cash].tolist()) <= history


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"counters": (Counter("1", ("loan",)),)}, "cash"),
        ({"services": (Service("cash", (5.0, -1.0), ServiceTime.exponential(60)),)}, "negative"),
        ({"services": (Service("cash", (5.0,), ServiceTime.exponential(60), {"vvip": 1}),)}, ""),
        ({"services": (Service("cash", (5.0,), ServiceTime()),)}, ""),
        ({"counters": (Counter("1", ("cash",), open=600.0, close=300.0),)}, ""),
        ({"patience": Patience(mean=0.0)}, ""),
        ({"no_show_share": 1.0}, ""),
    ],
)
def test_bad_input_is_refused_in_both_languages(change, needle):
    base = {
        "services": (Service("cash", (5.0, 5.0), ServiceTime.exponential(60.0)),),
        "counters": (Counter("1", ("cash",)),),
    }
    with pytest.raises(SimulationInputError) as raised:
        simulate(Scenario(**{**base, **change}))
    assert isinstance(raised.value, ValueError)
    assert needle in str(raised.value)
    assert re.search(r"[\u4e00-\u9fff]", raised.value.zh)


def test_a_bad_design_or_too_few_replications_is_refused():
    scenario = mmc(1, 60.0, 0.5, 1)
    with pytest.raises(SimulationInputError, match="design") as raised:
        simulate(scenario, ("fifo",))
    assert "排队方式" in raised.value.zh
    with pytest.raises(SimulationInputError, match="two replications"):
        simulate(scenario, replications=1)
    with pytest.raises(SimulationInputError, match="not well formed"):
        Scenario.from_dict({"services": [{"name": "A"}], "counters": []})


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    names = ["A", "B", "C"][: draw(st.integers(1, 3))]
    intervals = draw(st.integers(1, 4))
    width = 600.0
    day = intervals * width
    services = tuple(
        Service(
            name,
            tuple(draw(st.lists(st.floats(0, 8), min_size=intervals, max_size=intervals))),
            ServiceTime.lognormal(draw(st.floats(30, 400)), draw(st.floats(0, 1.5))),
            {
                "ordinary": draw(st.floats(0.1, 1)),
                "vip": draw(st.floats(0, 1)),
                "elderly": draw(st.floats(0, 1)),
                "appointment": draw(st.floats(0, 1)),
            },
        )
        for name in names
    )
    counters = []
    for n in range(draw(st.integers(1, 4))):
        serves = draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True))
        opens = draw(st.sampled_from([0.0, 0.0, width / 2, day - 1]))
        close = draw(st.sampled_from([None, None, opens + width, day + 600]))
        counters.append(Counter(str(n), tuple(serves), opens, close))
    missing = [name for name in names if not any(name in c.services for c in counters)]
    if missing:
        counters.append(Counter("all", tuple(missing)))
    patience = draw(st.sampled_from([None, Patience(mean=300.0), Patience(sample=(60.0, 900.0))]))
    return Scenario(
        services=services,
        counters=tuple(counters),
        interval_seconds=width,
        patience=patience,
        no_show_share=draw(st.sampled_from([0.0, 0.1, 0.3])),
        jockeying=draw(st.booleans()),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_every_customer_is_accounted_for_and_served_only_where_and_when_possible(scenario, seed):
    day_end = scenario.day_seconds
    for design in DESIGNS:
        day = simulate_day(scenario, design, seed=seed)
        c = day.customers
        outcome = day.outcome
        # served + abandoned + no-show + unserved = arrivals, each customer exactly once
        assert len(outcome) == len(c.arrival)
        assert set(np.unique(outcome).tolist()) <= {SERVED, ABANDONED, NO_SHOW, UNSERVED}
        counts = [int((outcome == o).sum()) for o in (SERVED, ABANDONED, NO_SHOW, UNSERVED)]
        assert sum(counts) == len(c.arrival)
        served = outcome == SERVED
        assert not (served & c.no_show).any()
        assert np.isnan(day.called_at[~served]).all()
        assert (day.called_at[served] >= c.arrival[served]).all()
        assert (day.called_at[served] < c.deadline[served]).all()  # called before giving up
        for k, counter in enumerate(scenario.counters):
            mine = np.flatnonzero(served & (day.counter == k))
            allowed = [scenario.services[s].name for s in c.service[mine]]
            assert set(allowed) <= set(counter.services)
            assert (day.called_at[mine] >= counter.open).all()
            if counter.close is not None and counter.close < day_end:
                if design == "per_counter":  # serves its own line after closing
                    assert (c.arrival[mine] < counter.close).all()
                else:
                    assert (day.called_at[mine] < counter.close).all()
            starts = np.sort(day.called_at[mine])
            ends = starts + c.service_time[mine][np.argsort(day.called_at[mine])]
            assert (starts[1:] >= ends[:-1] - 1e-6).all()  # one customer at a time
        assert (day.busy <= day.staffed + 1e-6).all()
        drained = all(
            any(s.name in k.services and k.close is None for k in scenario.counters)
            for s in scenario.services
        )
        if scenario.patience is None and drained:
            assert counts[1] == counts[3] == 0  # nobody gives up, nobody is left over
