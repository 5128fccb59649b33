"""Reliability and validity measures: formulas checked on cases with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from manyi.analytics.pls import fit
from manyi.analytics.reliability import (
    assess,
    average_variance_extracted,
    composite_reliability,
    cronbach_alpha,
    htmt,
)
from manyi.analytics.tests.test_pls import BLOCKS, DATA, ECSI


def parallel_items(n: int, k: int, reliability: float, seed: int) -> pd.DataFrame:
    """k parallel items with a known single-item reliability (squared loading)."""
    rng = np.random.default_rng(seed)
    factor = rng.standard_normal(n)
    loading = np.sqrt(reliability)
    return pd.DataFrame(
        {
            f"i{j}": loading * factor + np.sqrt(1 - reliability) * rng.standard_normal(n)
            for j in range(k)
        }
    )


def test_alpha_matches_spearman_brown_for_parallel_items():
    items = parallel_items(200_000, 4, 0.5, seed=1)
    expected = 4 * 0.5 / (1 + 3 * 0.5)  # Spearman-Brown: 0.8
    assert cronbach_alpha(items) == pytest.approx(expected, abs=0.01)
    assert np.isnan(cronbach_alpha(items[["i0"]]))


def test_composite_reliability_and_ave_formulas():
    loadings = np.array([0.8, 0.7, 0.6])
    explained = 2.1**2
    assert composite_reliability(loadings) == pytest.approx(
        explained / (explained + (1 - 0.64) + (1 - 0.49) + (1 - 0.36))
    )
    assert average_variance_extracted(loadings) == pytest.approx((0.64 + 0.49 + 0.36) / 3)


def test_htmt_of_two_parallel_blocks_is_their_true_correlation():
    rng = np.random.default_rng(2)
    n, rho = 200_000, 0.6
    f1 = rng.standard_normal(n)
    f2 = rho * f1 + np.sqrt(1 - rho**2) * rng.standard_normal(n)
    data = pd.DataFrame(
        {
            **{f"a{j}": 0.8 * f1 + 0.6 * rng.standard_normal(n) for j in range(3)},
            **{f"b{j}": 0.7 * f2 + np.sqrt(0.51) * rng.standard_normal(n) for j in range(3)},
        }
    )
    table = htmt(data, {"A": ["a0", "a1", "a2"], "B": ["b0", "b1", "b2"]})
    assert table.loc["A", "B"] == pytest.approx(rho, abs=0.01)
    assert table.loc["A", "B"] == table.loc["B", "A"]


def test_assessment_of_the_ecsi_model():
    data = pd.read_csv(DATA)
    report = assess(fit(data, ECSI), data)
    assert list(report.index) == list(BLOCKS)
    assert report.loc["Complaints", "rho_c"] == pytest.approx(1.0)
    assert report.loc["Complaints", "ave"] == pytest.approx(1.0)
    for construct in ("Image", "Quality", "Satisfaction"):
        row = report.loc[construct]
        assert 0.7 < row["alpha"] <= row["rho_c"] < 1  # alpha is the lower bound
        assert 0 < row["ave"] < 1
    table = htmt(data, BLOCKS)
    assert 0 < table.loc["Quality", "Satisfaction"] < 1.2
