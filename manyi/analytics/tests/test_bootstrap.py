"""The vectorised bootstrap against a plain loop of fits, the jackknife against deletion,
BCa against SciPy's, and reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from manyi.analytics.bootstrap import _bca, bootstrap, jackknife_moments
from manyi.analytics.pls import PLSError, correlation_moments, fit
from manyi.analytics.tests.test_pls import BLOCKS, DATA, ECSI

SCALES = {item: (1, 10) for items in BLOCKS.values() for item in items}


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_each_resample_equals_a_fit_on_the_resampled_rows(mobi):
    boot = bootstrap(mobi, ECSI, samples=30, seed=11, bca=False, batch=30)
    rows = np.random.default_rng(11).integers(0, len(mobi), size=(30, len(mobi)))
    names = list(boot.table.index)
    for b in (0, 7, 29):
        refit = fit(mobi.iloc[rows[b]], ECSI)
        for source, target in ECSI.paths:
            column = names.index(("path", f"{source} -> {target}"))
            assert boot.draws[b, column] == pytest.approx(refit.paths.loc[source, target], abs=1e-8)
        column = names.index(("outer_weight", "Quality / PERQ3"))
        assert boot.draws[b, column] == pytest.approx(refit.outer_weights[("Quality", "PERQ3")])


def test_reproducible_with_a_seed_and_batch_size_free(mobi):
    first = bootstrap(mobi, ECSI, samples=60, seed=5, batch=60)
    again = bootstrap(mobi, ECSI, samples=60, seed=5, batch=60)
    other = bootstrap(mobi, ECSI, samples=60, seed=6, batch=60)
    pd.testing.assert_frame_equal(first.table, again.table)
    assert not np.allclose(first.draws, other.draws)


def test_table_statistics_are_consistent(mobi):
    boot = bootstrap(mobi, ECSI, samples=400, seed=1, scales=SCALES)
    paths = boot.kind("path")
    original = fit(mobi, ECSI)
    assert paths.loc["Quality -> Satisfaction", "original"] == pytest.approx(
        original.paths.loc["Quality", "Satisfaction"]
    )
    assert (paths["se"] > 0).all()
    np.testing.assert_allclose(paths["t"], paths["original"] / paths["se"])
    expected_p = 2 * stats.t.sf(np.abs(paths["t"]), df=len(mobi) - 1)
    np.testing.assert_allclose(paths["p"], expected_p)
    assert (paths["ci_low"] <= paths["ci_high"]).all()
    assert paths.loc["Quality -> Satisfaction", "p"] < 0.001  # the strongest driver
    assert paths.loc["Expectation -> Value", "p"] > 0.05  # known to be insignificant
    index = boot.kind("index")
    assert 60 < index.loc["Satisfaction", "original"] < 90
    assert {"htmt", "loading", "total_effect", "impact", "r2"} <= set(
        boot.table.index.get_level_values("kind")
    )
    assert boot.to_dict()["path"]["Quality -> Satisfaction"]["se"] > 0


def test_jackknife_moments_equal_leaving_rows_out(mobi):
    x = mobi[ECSI.items].to_numpy(dtype=float)[:40]
    mean, sd, corr = jackknife_moments(x, np.arange(40), None)
    for i in (0, 17, 39):
        m, s, c = correlation_moments(np.delete(x, i, axis=0))
        np.testing.assert_allclose(mean[i], m)
        np.testing.assert_allclose(sd[i], s)
        np.testing.assert_allclose(corr[i], c, atol=1e-12)
    groups = np.arange(40) % 4
    mean, _, corr = jackknife_moments(x, groups, None)
    m, _, c = correlation_moments(x[groups != 2])
    np.testing.assert_allclose(corr[2], c, atol=1e-12)


def test_bca_agrees_with_scipy_on_a_skewed_mean():
    rng = np.random.default_rng(3)
    sample = rng.exponential(size=60)
    draws = rng.choice(sample, size=(20_000, 60)).mean(axis=1)[:, None]
    jack = np.array([np.delete(sample, i).mean() for i in range(60)])[:, None]
    low, high = _bca(draws, np.array([sample.mean()]), jack, 0.05)
    reference = stats.bootstrap(
        (sample,), np.mean, n_resamples=20_000, method="BCa", random_state=4
    ).confidence_interval
    assert low[0] == pytest.approx(reference.low, rel=0.03)
    assert high[0] == pytest.approx(reference.high, rel=0.03)
    percentile_high = np.quantile(draws, 0.975)
    assert high[0] > percentile_high  # right skew moves the BCa bound up


def test_refuses_too_few_resamples(mobi):
    with pytest.raises(PLSError, match="too few"):
        bootstrap(mobi, ECSI, samples=3)


def test_unit_sample_weights_change_nothing(mobi):
    plain = bootstrap(mobi, ECSI, samples=40, seed=9, scales=SCALES, batch=40)
    weighted = bootstrap(
        mobi, ECSI, samples=40, seed=9, scales=SCALES, batch=40, sample_weights=np.ones(250)
    )
    np.testing.assert_allclose(weighted.draws, plain.draws, atol=1e-9)
    doubled = bootstrap(
        mobi, ECSI, samples=40, seed=9, scales=SCALES, batch=40, sample_weights=np.full(250, 2.0)
    )
    np.testing.assert_allclose(doubled.draws, plain.draws, atol=1e-9)
