"""CSAT, NPS and CES against hand-computed values, and their intervals' properties."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from manyi.analytics.survey_metrics import ScaleError, by_group, ces, csat, nps, wilson


def test_nps_by_hand() -> None:
    # 10 answers: promoters 9, 10, 10, 9 (4); passives 7, 8 (2); detractors 0, 5, 6, 3 (4)
    result = nps([9, 10, 10, 9, 7, 8, 0, 5, 6, 3, None, ""])
    assert result.n == 10 and result.missing == 2
    assert (result.promoters, result.passives, result.detractors) == (40.0, 20.0, 40.0)
    assert result.value == 0.0
    # variance (P + D - (P - D)^2) / n = (0.4 + 0.4 - 0) / 10 = 0.08
    assert result.margin == pytest.approx(100 * 1.959963984540054 * math.sqrt(0.08))


def test_csat_by_hand() -> None:
    result = csat([5, 4, 4, 3, 2, 5, 1, 4])  # 5 of 8 answered 4 or 5
    assert result.value == 62.5 and result.n == 8
    low, high = wilson(5, 8)
    assert (result.low, result.high) == pytest.approx((100 * low, 100 * high))
    assert csat([10, 9, 6], scale=(1, 10), top=2).value == pytest.approx(200 / 3)


def test_ces_by_hand() -> None:
    result = ces([7, 6, 5, 6, 4])
    assert result.value == pytest.approx(5.6)
    sd = math.sqrt(sum((v - 5.6) ** 2 for v in [7, 6, 5, 6, 4]) / 4)
    half = stats.t.ppf(0.975, 4) * sd / math.sqrt(5)
    assert (result.low, result.high) == pytest.approx((5.6 - half, 5.6 + half))


def test_answers_off_the_scale_are_refused_not_dropped() -> None:
    with pytest.raises(ScaleError, match="11") as error:
        nps([10, 11])
    assert "超出量表" in error.value.zh
    with pytest.raises(ScaleError):
        csat([0, 5])


def test_empty_and_grouped() -> None:
    assert nps([]).value is None and csat([None]).missing == 1
    rows = [
        {"branch": "A1", "nps": 10},
        {"branch": "A1", "nps": 2},
        {"branch": "B1", "nps": 9},
    ]
    grouped = by_group(rows, key="branch", value="nps", metric=nps)
    assert list(grouped) == ["A1", "B1"]
    assert grouped["A1"].value == 0.0 and grouped["B1"].value == 100.0


@given(st.lists(st.integers(0, 10), min_size=1, max_size=300))
def test_nps_is_promoters_minus_detractors_and_within_bounds(scores: list[int]) -> None:
    result = nps(scores)
    assert -100 <= result.value <= 100
    assert result.value == pytest.approx(result.promoters - result.detractors)
    assert result.promoters + result.passives + result.detractors == pytest.approx(100)
    assert result.margin >= 0


@given(st.integers(0, 500), st.integers(1, 500))
def test_wilson_interval_contains_the_estimate(successes: int, n: int) -> None:
    successes = min(successes, n)
    low, high = wilson(successes, n)
    assert 0 <= low <= successes / n <= high <= 1


@pytest.mark.parametrize(
    ("scale", "at_most"),
    [((0, 10), 6), ((1, 10), 6), ((1, 5), 2), ((1, 7), 3), ((1, 4), 2), ((1, 3), 1), ((0, 4), 1)],
)
def test_low_score_threshold_follows_the_scale(scale, at_most):
    from manyi.analytics.survey_metrics import low_score_threshold

    assert low_score_threshold(*scale) == at_most
