"""CATI samples are reproducible and proportional; callbacks fall inside the window."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from manyi.analytics.sampling import (
    allocate,
    callback_time,
    simple_random_sample,
    stratified_sample,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_same_seed_draws_the_same_people_in_any_order_of_the_population() -> None:
    ids = list(range(1, 1001))
    first = simple_random_sample(ids, 50, seed=2026)
    assert first == simple_random_sample(list(reversed(ids)), 50, seed=2026)
    assert first != simple_random_sample(ids, 50, seed=2027)
    assert len(set(first)) == 50 and set(first) <= set(ids)
    assert simple_random_sample(ids[:10], 50, seed=1) == ids[:10]  # fewer than asked: all


def test_stratified_allocation_is_proportional_and_adds_up() -> None:
    assert allocate({"A1": 600, "A2": 300, "B1": 100}, 10) == {"A1": 6, "A2": 3, "B1": 1}
    assert sum(allocate({"x": 7, "y": 7, "z": 7}, 10).values()) == 10
    strata = {"A1": list(range(600)), "A2": list(range(600, 900)), "B1": list(range(900, 1000))}
    drawn = stratified_sample(strata, 100, seed=7)
    assert {k: len(v) for k, v in drawn.items()} == {"A1": 60, "A2": 30, "B1": 10}
    assert drawn == stratified_sample(strata, 100, seed=7)
    with_more = stratified_sample({**strata, "C1": list(range(2000, 2001))}, 100, seed=7)
    assert with_more["B1"][:5] == drawn["B1"][:5] or len(with_more["B1"]) != len(drawn["B1"])


@given(
    st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 500), max_size=8),
    st.integers(0, 3000),
)
def test_allocation_never_exceeds_a_stratum_and_sums_right(sizes, n) -> None:
    plan = allocate(sizes, n)
    assert sum(plan.values()) == min(n, sum(sizes.values()))
    assert all(0 <= plan[k] <= sizes[k] for k in sizes)


def test_callbacks_fall_inside_the_customers_window() -> None:
    evening = (dt.time(19, 0), dt.time(21, 0))
    asked = dt.datetime(2026, 11, 23, 10, 30, tzinfo=SHANGHAI)
    assert callback_time(asked, evening) == dt.datetime(2026, 11, 23, 19, 0, tzinfo=SHANGHAI)
    late = dt.datetime(2026, 11, 23, 21, 30, tzinfo=SHANGHAI)
    assert callback_time(late, evening) == dt.datetime(2026, 11, 24, 19, 0, tzinfo=SHANGHAI)
    inside = dt.datetime(2026, 11, 23, 20, 15, tzinfo=SHANGHAI)
    assert callback_time(inside, evening) == inside
    assert callback_time(asked, None) == asked  # the usual 9:00-20:00
    night = (dt.time(22, 0), dt.time(1, 0))  # a shift worker's window past midnight
    assert callback_time(dt.datetime(2026, 11, 24, 0, 30, tzinfo=SHANGHAI), night).hour == 0


@given(
    st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 1, 1)),
    st.integers(0, 23),
    st.integers(1, 6),
)
def test_a_callback_is_never_before_the_wish_and_always_in_the_window(wish, start, length) -> None:
    wanted = wish.replace(tzinfo=SHANGHAI)
    end = (start + length) % 24
    window = (dt.time(start), dt.time(end))
    when = callback_time(wanted, window)
    assert when >= wanted
    hour = when.hour + when.minute / 60
    inside = start <= hour < start + length if end > start else (hour >= start or hour < end)
    assert inside
