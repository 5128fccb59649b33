"""PLS path modelling against the published ECSI mobile-phone results (Tenenhaus et al. 2005,
SmartPLS 2.0 figures from semPLS's tests) and properties any correct estimator has."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.analytics.pls import PathModel, PLSConvergenceError, PLSError, fit

DATA = Path(__file__).parent / "data" / "ecsi_mobi.csv"

BLOCKS = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
PUBLISHED_PATHS = {
    ("Image", "Expectation"): 0.50491393,
    ("Expectation", "Quality"): 0.55674896,
    ("Expectation", "Value"): 0.04998839,
    ("Quality", "Value"): 0.55830438,
    ("Image", "Satisfaction"): 0.17873950,
    ("Expectation", "Satisfaction"): 0.06252287,
    ("Quality", "Satisfaction"): 0.51202394,
    ("Value", "Satisfaction"): 0.19476510,
    ("Satisfaction", "Complaints"): 0.52806625,
    ("Image", "Loyalty"): 0.19575534,
    ("Satisfaction", "Loyalty"): 0.48547762,
    ("Complaints", "Loyalty"): 0.06692607,
}
PUBLISHED_WEIGHTS = {
    "Image": [0.30131, 0.25969, 0.21792, 0.32850, 0.32468],
    "Expectation": [0.52118, 0.47368, 0.44563],
    "Quality": [0.21318, 0.14472, 0.20002, 0.17940, 0.17864, 0.17912, 0.21548],
    "Value": [0.47928, 0.60406],
    "Satisfaction": [0.36486, 0.38316, 0.45096],
    "Loyalty": [0.46066, 0.11427, 0.65431],
    "Complaints": [1.0],
}
ECSI = PathModel(blocks=BLOCKS, paths=list(PUBLISHED_PATHS))


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(DATA)


def test_reproduces_smartpls_path_scheme(mobi):
    result = fit(mobi, ECSI, scheme="path")
    for (source, target), published in PUBLISHED_PATHS.items():
        assert result.paths.loc[source, target] == pytest.approx(published, abs=1e-6)
    for construct, published in PUBLISHED_WEIGHTS.items():
        estimated = result.outer_weights.loc[construct].to_numpy()
        np.testing.assert_allclose(estimated, published, atol=5e-6)  # printed to 5 places


def test_centroid_scheme_matches_the_semPLS_vignette(mobi):
    result = fit(mobi, ECSI, scheme="centroid")
    assert result.paths.loc["Quality", "Satisfaction"] == pytest.approx(0.513, abs=5e-4)
    assert result.paths.loc["Value", "Satisfaction"] == pytest.approx(0.192, abs=5e-4)


def test_scores_r2_and_loadings_are_consistent(mobi):
    result = fit(mobi, ECSI)
    assert result.scores.std(ddof=1).to_numpy() == pytest.approx(np.ones(7))
    assert set(result.r2.index) == set(ECSI.endogenous())
    assert 0 < result.r2["Satisfaction"] < 1
    assert (result.r2_adjusted <= result.r2).all()
    assert result.loadings.loc[("Complaints", "CUSCO")] == pytest.approx(1.0)
    assert "Satisfaction" in repr(result)


def test_factorial_and_mode_b_run(mobi):
    formative = PathModel(blocks=BLOCKS, paths=list(PUBLISHED_PATHS), modes={"Quality": "B"})
    result = fit(mobi, formative, scheme="factorial")
    assert result.scores["Quality"].std(ddof=1) == pytest.approx(1.0)
    assert result.paths.loc["Quality", "Satisfaction"] > 0.3


@settings(max_examples=20, deadline=None)
@given(
    scales=st.lists(st.floats(0.1, 50), min_size=24, max_size=24),
    shifts=st.lists(st.floats(-100, 100), min_size=24, max_size=24),
    order=st.integers(0, 2**31),
)
def test_invariant_to_rescaling_items_and_permuting_rows(scales, shifts, order):
    data = pd.read_csv(DATA)
    base = fit(data, ECSI)
    rescaled = data * np.array(scales) + np.array(shifts)  # e.g. a 1-10 scale read as 0-100
    shuffled = data.sample(frac=1.0, random_state=order % 2**32)
    for other in (fit(rescaled, ECSI), fit(shuffled, ECSI)):
        pd.testing.assert_frame_equal(other.paths, base.paths, atol=1e-9)
        pd.testing.assert_series_equal(other.outer_weights, base.outer_weights, atol=1e-9)
        pd.testing.assert_series_equal(other.r2, base.r2, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(beta=st.floats(min_value=0.2, max_value=0.8), seed=st.integers(0, 10_000))
def test_recovers_a_known_path(beta, seed):
    """Two reflective constructs with three indicators each; the estimate of the path lies
    within sampling error of the true standardised path (PLS is consistent at large n
    with reliable indicators, attenuated slightly below the truth)."""
    rng = np.random.default_rng(seed)
    n = 2000
    x = rng.standard_normal(n)
    y = beta * x + np.sqrt(1 - beta**2) * rng.standard_normal(n)
    data = pd.DataFrame(
        {
            **{f"x{i}": x + 0.3 * rng.standard_normal(n) for i in range(3)},
            **{f"y{i}": y + 0.3 * rng.standard_normal(n) for i in range(3)},
        }
    )
    model = PathModel(blocks={"X": ["x0", "x1", "x2"], "Y": ["y0", "y1", "y2"]}, paths=[("X", "Y")])
    estimate = fit(data, model).paths.loc["X", "Y"]
    realised = np.corrcoef(x, y)[0, 1]  # the true path in this sample
    # Composite reliability ~0.97 per block: PLS attenuates by a few per cent, no more.
    assert 0.9 * realised - 0.01 < estimate < realised + 0.01
    assert abs(realised - beta) < 6 / np.sqrt(n)


def test_bad_models_and_data_are_refused_clearly(mobi):
    with pytest.raises(PLSError, match="no construct 'Price'"):
        PathModel(blocks=BLOCKS, paths=[("Price", "Satisfaction")])
    with pytest.raises(PLSError, match="cycle"):
        PathModel(blocks={"A": ["CUEX1"], "B": ["CUEX2"]}, paths=[("A", "B"), ("B", "A")])
    with pytest.raises(PLSError, match="both"):
        PathModel(blocks={"A": ["CUEX1"], "B": ["CUEX1"]}, paths=[])
    with pytest.raises(PLSError, match="not in the data: NOPE"):
        fit(mobi, PathModel(blocks={"A": ["NOPE"], "B": ["CUEX1"]}, paths=[("A", "B")]))
    constant = mobi.assign(CUSCO=5)
    with pytest.raises(PLSError, match="without variance cannot be used: CUSCO"):
        fit(constant, ECSI)
    with pytest.raises(PLSError, match="missing"):
        fit(mobi.assign(IMAG1=np.nan), ECSI)
    with pytest.raises(PLSError, match="too few"):
        fit(mobi.head(5), ECSI)
    with pytest.raises(PLSConvergenceError, match="did not converge"):
        fit(mobi, ECSI, max_iter=2, tol=1e-15)
