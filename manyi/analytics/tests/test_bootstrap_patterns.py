"""The bootstrap of large rating data by answer patterns: drawing how often each distinct
pattern occurs is resampling the respondents, at the cost of the patterns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from manyi.analytics import bootstrap as boot
from manyi.analytics.pls import PathModel, correlation_moments

MODEL = PathModel(blocks={"Q": ["a", "b", "c"], "S": ["d", "e"]}, paths=[("Q", "S")])


def ratings(n: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    quality = rng.standard_normal(n)
    satisfaction = 0.6 * quality + 0.8 * rng.standard_normal(n)

    def five(latent):
        return np.clip(np.round(3.4 + 0.9 * latent + 0.7 * rng.standard_normal(n)), 1, 5)

    return pd.DataFrame(
        {"a": five(quality), "b": five(quality), "c": five(quality)}
        | {"d": five(satisfaction), "e": five(satisfaction)}
    )


def test_the_patterns_with_their_counts_give_the_datas_own_moments():
    x = ratings(30_000).to_numpy()
    unique, counts = boot.answer_patterns(x)
    assert unique.shape[0] < 3125 and counts.sum() == x.shape[0]
    centre = x.mean(axis=0)
    centred = unique - centre
    products = (centred[:, :, None] * centred[:, None, :]).reshape(unique.shape[0], 25)
    mean, sd, corr = boot.pattern_moments(unique, products, centre, counts[None])
    expected = correlation_moments(x, None)
    np.testing.assert_allclose(mean[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(sd[0], expected[1], rtol=1e-10)
    np.testing.assert_allclose(corr[0], expected[2], rtol=1e-10, atol=1e-12)


def test_few_rows_or_many_patterns_resample_the_rows():
    assert boot.answer_patterns(ratings(1_000).to_numpy()) is None
    continuous = np.random.default_rng(1).standard_normal((30_000, 4))
    assert boot.answer_patterns(continuous) is None


def test_pattern_and_row_resampling_agree(monkeypatch):
    data = ratings(25_000)
    scales = {item: (1.0, 5.0) for item in "abcde"}
    by_patterns = boot.bootstrap(data, MODEL, samples=300, seed=5, scales=scales, bca=False)
    monkeypatch.setattr(boot, "PATTERN_MIN_ROWS", 10**9)
    by_rows = boot.bootstrap(data, MODEL, samples=300, seed=5, scales=scales, bca=False)
    a, b = by_patterns.table, by_rows.table
    np.testing.assert_allclose(a["original"], b["original"], rtol=1e-12)
    # the same distribution, different draws: standard errors agree within Monte Carlo
    # error (300 resamples: about 4% relative), and the intervals about the estimates
    paths = a.index.get_level_values("kind") == "path"
    assert np.allclose(a.loc[paths, "se"], b.loc[paths, "se"], rtol=0.2)
    index = a.index.get_level_values("kind") == "index"
    assert np.allclose(a.loc[index, "se"], b.loc[index, "se"], rtol=0.2)
    assert np.allclose(a.loc[index, "ci_low"], b.loc[index, "ci_low"], atol=0.1)


@pytest.mark.parametrize("n", [20_000])
def test_a_pattern_bootstrap_is_reproducible_with_its_seed(n):
    data = ratings(n)
    first = boot.bootstrap(data, MODEL, samples=50, seed=9, bca=False)
    again = boot.bootstrap(data, MODEL, samples=50, seed=9, bca=False)
    pd.testing.assert_frame_equal(first.table, again.table)
