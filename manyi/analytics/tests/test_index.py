"""The 0-100 index and impacts: properties that hold for any data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from manyi.analytics.index import (
    impacts,
    index_scores,
    index_summary,
    index_weights,
    rescale,
    total_effects,
    unstandardised_paths,
)
from manyi.analytics.pls import PLSError, fit
from manyi.analytics.tests.test_pls import BLOCKS, DATA, ECSI

SCALES = {item: (1, 10) for items in BLOCKS.values() for item in items}


@pytest.fixture(scope="module")
def mobi():
    return pd.read_csv(DATA)


def test_rescale_to_0_100_and_refuse_answers_off_the_scale(mobi):
    scaled = rescale(mobi, SCALES)
    assert scaled.min().min() >= 0 and scaled.max().max() <= 100
    assert rescale(pd.DataFrame({"q": [1, 10]}), {"q": (1, 10)})["q"].tolist() == [0, 100]
    assert rescale(pd.DataFrame({"q": [0, 5, 10]}), {"q": (0, 10)})["q"].tolist() == [0, 50, 100]
    with pytest.raises(PLSError, match="outside its scale 1-5"):
        rescale(pd.DataFrame({"q": [1, 6]}), {"q": (1, 5)})


def test_index_weights_sum_to_one_and_scores_stay_in_range(mobi):
    result = fit(mobi, ECSI)
    weights = index_weights(result, SCALES)
    assert weights.groupby(level="construct").sum().to_numpy() == pytest.approx(np.ones(7))
    scores = index_scores(result, mobi, SCALES)
    assert scores.min().min() >= 0 and scores.max().max() <= 100
    satisfaction = scores["Satisfaction"].mean()
    assert index_summary(result, SCALES)["Satisfaction"] == pytest.approx(satisfaction)
    assert 50 < satisfaction < 90  # the published ECSI mobile index is in the 70s
    everyone_top = mobi.copy()
    everyone_top[:] = 10
    top = index_scores(result, everyone_top, SCALES, weights=weights)
    assert top.to_numpy() == pytest.approx(100)


def test_total_effects_add_the_indirect_paths():
    paths = pd.DataFrame(
        [[0, 0.5, 0.2], [0, 0, 0.4], [0, 0, 0]], index=list("ABC"), columns=list("ABC"), dtype=float
    )
    total = total_effects(paths)
    assert total.loc["A", "C"] == pytest.approx(0.2 + 0.5 * 0.4)
    assert total.loc["A", "B"] == pytest.approx(0.5)


def test_impacts_are_five_times_the_unstandardised_total_effect(mobi):
    result = fit(mobi, ECSI)
    effect = impacts(result, SCALES)
    scores = index_scores(result, mobi, SCALES)
    # The same as regressing the respondents' 0-100 scores on their drivers.
    drivers = ["Image", "Expectation", "Quality", "Value"]
    x = np.column_stack([np.ones(len(scores)), scores[drivers].to_numpy()])
    beta = np.linalg.lstsq(x, scores["Satisfaction"].to_numpy(), rcond=None)[0]
    direct = pd.Series(beta[1:], index=drivers)
    assert effect.loc["Value", "Satisfaction"] == pytest.approx(5 * direct["Value"], rel=1e-3)
    unstandardised = unstandardised_paths(result, SCALES)
    for driver in drivers:
        assert unstandardised.loc[driver, "Satisfaction"] == pytest.approx(direct[driver], rel=1e-3)
    assert effect.loc["Quality", "Satisfaction"] > 0
    # Quality also works through Value: the total exceeds the direct part alone.
    assert effect.loc["Quality", "Loyalty"] > 0
    assert effect.loc["Loyalty", "Quality"] == 0
    assert impacts(result, SCALES, gain=10).loc["Quality", "Satisfaction"] == pytest.approx(
        2 * effect.loc["Quality", "Satisfaction"]
    )
