"""The index over time: changes between waves tested with the two bootstrap errors."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from manyi.analytics.trend import Wave, change_test, changes, group_table, wave_from_result


def test_a_change_is_tested_with_both_waves_standard_errors():
    change, p = change_test(70.0, 73.0, 1.0, 1.0)
    # z = 3 / sqrt(2) = 2.1213: two-sided p = 0.0339
    assert change == 3.0 and math.isclose(p, 0.033894853524689, rel_tol=1e-9)
    assert change_test(70.0, 70.5, 1.0, 1.0)[1] > 0.5
    assert change_test(70.0, 73.0, None, 1.0) == (3.0, None)  # no bootstrap: not tested
    assert change_test(70.0, 73.0, 0.0, 0.0) == (3.0, None)


@given(
    st.floats(0, 100),
    st.floats(0, 100),
    st.floats(0.01, 10),
    st.floats(0.01, 10),
)
def test_p_is_a_probability_and_the_test_is_symmetric(a, b, se_a, se_b):
    change, p = change_test(a, b, se_a, se_b)
    back, q = change_test(b, a, se_b, se_a)
    assert 0.0 <= p <= 1.0 and math.isclose(p, q, abs_tol=1e-12)
    assert math.isclose(change, -back, abs_tol=1e-12)


def test_rows_per_construct_and_wave_with_the_change_from_the_wave_before():
    waves = [
        Wave("Q1", 300, {"S": 70.0, "L": 60.0}, se={"S": 0.5, "L": 0.5}),
        Wave("Q2", 310, {"S": 72.0, "L": 60.2}, se={"S": 0.5, "L": 0.5}),
        Wave("Q3", 305, {"S": 72.1}, se={"S": 0.5}),  # L not measured this wave
    ]
    rows = changes(waves)
    satisfaction = [r for r in rows if r["construct"] == "S"]
    assert [r["wave"] for r in satisfaction] == ["Q1", "Q2", "Q3"]
    assert satisfaction[0]["change"] is None and not satisfaction[0]["significant"]
    assert satisfaction[1]["significant"] and math.isclose(satisfaction[1]["change"], 2.0)
    assert not satisfaction[2]["significant"]
    loyalty = [r for r in rows if r["construct"] == "L"]
    assert [r["wave"] for r in loyalty] == ["Q1", "Q2"] and not loyalty[1]["significant"]


def test_a_wave_reads_a_stored_result_and_its_groups():
    result = {
        "n_used": 120,
        "index": {"S": 71.5},
        "bootstrap": {"index": {"S": {"se": 0.9, "ci_low": 69.8, "ci_high": 73.3}}},
        "groups": {"groups": {"北京支行": {"n": 40, "index": {"S": 68.0}}}},
    }
    wave = wave_from_result("Q1", result)
    assert wave.n == 120 and wave.se["S"] == 0.9 and wave.low["S"] == 69.8
    assert group_table([wave], "S") == {"北京支行": {"Q1": 68.0}}
    assert wave_from_result("Q2", {}).index == {}
