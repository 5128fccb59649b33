"""What a point of satisfaction is worth: pooled and within-branch slopes with intervals."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from manyi.analytics.outcomes import Point, relation


def test_the_pooled_slope_is_least_squares_with_its_t_interval():
    rng = np.random.default_rng(4)
    index = rng.uniform(60, 85, 30)
    outcome = 100 + 2.5 * index + rng.normal(0, 4, 30)
    points = [
        Point(f"B{i % 6}", f"W{i // 6}", float(a), float(b))
        for i, (a, b) in enumerate(zip(index, outcome, strict=True))
    ]
    found = relation(points)
    reference = stats.linregress(index, outcome)
    assert np.isclose(found.pooled.slope, reference.slope)
    assert np.isclose(found.pooled.p, reference.pvalue)
    half = stats.t.ppf(0.975, 28) * reference.stderr
    assert np.isclose(found.pooled.low, reference.slope - half)
    assert found.pooled.low < 2.5 < found.pooled.high and found.caution == []


def test_within_branches_removes_what_branches_always_were():
    # Big branches earn more and happen to score lower; within each branch, a point of
    # satisfaction is worth +3. Pooled, the sign is wrong; within, it is right.
    points = []
    rng = np.random.default_rng(1)
    for branch, (base_index, base_revenue) in enumerate([(60, 900), (70, 600), (80, 300)]):
        for wave in range(5):
            index = base_index + rng.uniform(-4, 4)
            points.append(
                Point(
                    f"B{branch}",
                    f"W{wave}",
                    index,
                    base_revenue + 3 * (index - base_index) + rng.normal(0, 0.5),
                )
            )
    found = relation(points)
    assert found.pooled.slope < 0
    assert found.within.low < 3 < found.within.high and found.within.df == 15 - 3 - 1
    assert "few_points" in found.caution


def test_too_little_data_is_said_not_hidden():
    found = relation([Point("A", "W1", 70.0, 5.0), Point("B", "W1", 72.0, 6.0)])
    assert found.pooled.slope is None and found.within.slope is None
    assert {"few_points", "one_wave"} <= set(found.caution)


@given(st.lists(st.tuples(st.floats(0, 100), st.floats(-1e3, 1e3)), min_size=3, max_size=40))
def test_intervals_contain_the_slope(pairs):
    points = [Point(f"G{i % 3}", f"W{i // 3}", a, b) for i, (a, b) in enumerate(pairs)]
    found = relation(points)
    for slope in (found.pooled, found.within):
        if slope.slope is not None:
            assert slope.low <= slope.slope <= slope.high
            assert 0 <= slope.p <= 1
