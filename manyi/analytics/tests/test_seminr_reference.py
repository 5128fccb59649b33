"""Our PLS and reliability figures against the published reference values of seminr.

Source: the R package seminr (https://github.com/sem-in-r/seminr), snapshot at commit
ae2524aae5f4f0bda3eb87faf80378af5baccea1 (seminr 2.3.1, 2022-06-30). The numbers below are
transcribed from its test fixtures tests/fixtures/V_3_6_0/*.csv (the folder its tests read on
R >= 3.6); each table names its file and the test script that wrote and checks it. They were
estimated on seminr's `mobi` data, the ECSI mobile-phone survey of which data/ecsi_mobi.csv is
our copy (250 rows; `test_the_data_are_seminrs_mobi` checks the 13 items' means and SDs).

The model behind every fixture used here (tests/testthat/test-summary.R, test-validity.R,
test-metric.R, test-inner_weighting.R, test-descriptive-stats.R) is the same:

    composite("Image", IMAG1-5, weights = mode_A), composite("Expectation", CUEX1-3, ...),
    composite("Value", PERV1-2, ...), composite("Satisfaction", CUSA1-3, ...)
    paths(to = "Satisfaction", from = c("Image", "Expectation", "Value"))
    estimate_pls(mobi, mm, sm, inner_weights = path_weighting)   # the default scheme

that is Mode A composites (plain PLS, no PLSc correction) and the path weighting scheme: our
PathModel with default modes and fit(..., scheme="path"). seminr's `path_factorial` is the
factorial scheme over structurally adjacent constructs, our scheme="factorial". Items are
standardised with the sample SD in both. How seminr computes what is compared (R/ files of the
same snapshot): Cronbach's alpha from the items' correlation matrix (standardised alpha, as
ours); rhoC = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)) and AVE = mean(l^2) of the standardised
loadings; rhoA from the Mode A weights and the off-diagonal item correlations (Dijkstra and
Henseler 2015); HTMT from arithmetic means of absolute item correlations; VIFs from 1 / (1 - R^2)
among items of a block or among the predictors of an endogenous construct.

Left out of the asserted set, because the definitions differ (not the arithmetic):

* PLSc fixtures (rho2, path_coef1, loadings1, rsquaredplsc, factor_*): reflective() constructs
  are estimated with consistent-PLS corrections, which we do not apply. rho1.csv, although
  written from reflective() constructs, is compared: seminr computes rhoA from the plain PLS
  Mode A weights before PLSc corrects paths and loadings.
* Nothing else. f^2: seminr's fSquared (R/evaluate_effects.R) re-estimates the whole PLS
  model without the path and takes R^2 excluded from that refit; so does PLSResult.f2
  (fsquared1.csv: Image -> Satisfaction 0.303554364141901). PLSResult.f2_same_scores, which
  drops the predictor from the regression on the full model's scores, gives 0.302404506163.

Tolerances: figures that depend on the PLS iteration (weights, loadings, paths, R^2, rho_c, rho_A,
AVE, construct correlations) are compared to 1e-6, since seminr stops iterating once the summed
absolute change in the weights falls below 1e-7 (stopCriterion = 7) and prints them to 15
digits; figures that follow from the data alone (item statistics and correlations, alpha, HTMT,
item VIFs) to 1e-10.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pytest

from manyi.analytics.pls import PathModel, PLSResult, Scheme, fit
from manyi.analytics.reliability import assess, fornell_larcker, htmt_from_corr

DATA = Path(__file__).parent / "data" / "ecsi_mobi.csv"
ITERATED = 1e-6
EXACT = 1e-10

BLOCKS: dict[str, list[str]] = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
}
CONSTRUCTS = list(BLOCKS)
ITEMS = [item for items in BLOCKS.values() for item in items]
TO_SATISFACTION = [
    ("Image", "Satisfaction"),
    ("Expectation", "Satisfaction"),
    ("Value", "Satisfaction"),
]
MOBI = PathModel(blocks=BLOCKS, paths=TO_SATISFACTION)
# test-validity.R's mobi_sm2: Value becomes endogenous too.
MOBI_2 = PathModel(
    blocks=BLOCKS, paths=[*TO_SATISFACTION, ("Image", "Value"), ("Expectation", "Value")]
)

# --- Reference values (seminr commit ae2524aae5f4f0bda3eb87faf80378af5baccea1) -------------

# tests/fixtures/V_3_6_0/item_stats.csv (test-descriptive-stats.R): Mean, Std.Dev.
ITEM_STATS: dict[str, tuple[float, float]] = {
    "IMAG1": (7.64, 1.69998818800527),
    "IMAG2": (7.78, 1.68730197410162),
    "IMAG3": (6.744, 2.13181672999372),
    "IMAG4": (7.588, 1.84169033585255),
    "IMAG5": (7.932, 1.5572656501769),
    "CUEX1": (7.58, 1.62176461976691),
    "CUEX2": (7.532, 1.79271618648943),
    "CUEX3": (7.424, 2.10283419379331),
    "PERV1": (6.156, 2.18328443490416),
    "PERV2": (6.916, 1.84242288532069),
    "CUSA1": (7.988, 1.23367085363171),
    "CUSA2": (7.128, 1.76524228401802),
    "CUSA3": (7.316, 1.74709857010262),
}

# tests/fixtures/V_3_6_0/item_cors.csv (test-descriptive-stats.R), upper triangle.
ITEM_CORRELATIONS: dict[tuple[str, str], float] = {
    ("IMAG1", "IMAG2"): 0.38951040200593,
    ("IMAG1", "IMAG3"): 0.262591052660124,
    ("IMAG1", "IMAG4"): 0.445007650800294,
    ("IMAG1", "IMAG5"): 0.429135347358649,
    ("IMAG1", "CUEX1"): 0.242101760148275,
    ("IMAG1", "CUEX2"): 0.276575855796019,
    ("IMAG1", "CUEX3"): 0.209139511371513,
    ("IMAG1", "PERV1"): 0.345214927728563,
    ("IMAG1", "PERV2"): 0.382668277001778,
    ("IMAG1", "CUSA1"): 0.451772929648669,
    ("IMAG1", "CUSA2"): 0.380770441279565,
    ("IMAG1", "CUSA3"): 0.527948602892197,
    ("IMAG2", "IMAG3"): 0.130540952983072,
    ("IMAG2", "IMAG4"): 0.297687495028388,
    ("IMAG2", "IMAG5"): 0.295384096627003,
    ("IMAG2", "CUEX1"): 0.286043350055157,
    ("IMAG2", "CUEX2"): 0.203481588687881,
    ("IMAG2", "CUEX3"): 0.301443962542214,
    ("IMAG2", "PERV1"): 0.220848313161709,
    ("IMAG2", "PERV2"): 0.279534641158422,
    ("IMAG2", "CUSA1"): 0.405817156519437,
    ("IMAG2", "CUSA2"): 0.271072831363588,
    ("IMAG2", "CUSA3"): 0.366991308213638,
    ("IMAG3", "IMAG4"): 0.413899024878234,
    ("IMAG3", "IMAG5"): 0.33708855927456,
    ("IMAG3", "CUEX1"): 0.219685010028367,
    ("IMAG3", "CUEX2"): 0.249101041017444,
    ("IMAG3", "CUEX3"): 0.117481014658927,
    ("IMAG3", "PERV1"): 0.275238617583558,
    ("IMAG3", "PERV2"): 0.342151582977147,
    ("IMAG3", "CUSA1"): 0.21872153171782,
    ("IMAG3", "CUSA2"): 0.320365380675749,
    ("IMAG3", "CUSA3"): 0.28706522336907,
    ("IMAG4", "IMAG5"): 0.427086145423235,
    ("IMAG4", "CUEX1"): 0.222855602511926,
    ("IMAG4", "CUEX2"): 0.303849120549757,
    ("IMAG4", "CUEX3"): 0.247503010438097,
    ("IMAG4", "PERV1"): 0.342652524493597,
    ("IMAG4", "PERV2"): 0.516449324777041,
    ("IMAG4", "CUSA1"): 0.439716002224472,
    ("IMAG4", "CUSA2"): 0.433824867733282,
    ("IMAG4", "CUSA3"): 0.49120677151201,
    ("IMAG5", "CUEX1"): 0.257388810694779,
    ("IMAG5", "CUEX2"): 0.364017659596456,
    ("IMAG5", "CUEX3"): 0.120442506557188,
    ("IMAG5", "PERV1"): 0.187401551218444,
    ("IMAG5", "PERV2"): 0.300345879736956,
    ("IMAG5", "CUSA1"): 0.442747786021036,
    ("IMAG5", "CUSA2"): 0.387407337688291,
    ("IMAG5", "CUSA3"): 0.450764549965626,
    ("CUEX1", "CUEX2"): 0.32580338012137,
    ("CUEX1", "CUEX3"): 0.213762875914933,
    ("CUEX1", "PERV1"): 0.264707440101982,
    ("CUEX1", "PERV2"): 0.277121388932354,
    ("CUEX1", "CUSA1"): 0.324661630697693,
    ("CUEX1", "CUSA2"): 0.299422423808912,
    ("CUEX1", "CUSA3"): 0.306415644785679,
    ("CUEX2", "CUEX3"): 0.107180702305585,
    ("CUEX2", "PERV1"): 0.135700373490714,
    ("CUEX2", "PERV2"): 0.189890380935894,
    ("CUEX2", "CUSA1"): 0.36970817182573,
    ("CUEX2", "CUSA2"): 0.27028096285403,
    ("CUEX2", "CUSA3"): 0.279493951598156,
    ("CUEX3", "PERV1"): 0.243587142734377,
    ("CUEX3", "PERV2"): 0.261120739352817,
    ("CUEX3", "CUSA1"): 0.331712426707779,
    ("CUEX3", "CUSA2"): 0.254716332314483,
    ("CUEX3", "CUSA3"): 0.221366460156264,
    ("PERV1", "PERV2"): 0.700148223086921,
    ("PERV1", "CUSA1"): 0.3287279204166,
    ("PERV1", "CUSA2"): 0.386606620425733,
    ("PERV1", "CUSA3"): 0.487135632791094,
    ("PERV2", "CUSA1"): 0.420076997619699,
    ("PERV2", "CUSA2"): 0.507129675631188,
    ("PERV2", "CUSA3"): 0.604657712362952,
    ("CUSA1", "CUSA2"): 0.53920092673647,
    ("CUSA1", "CUSA3"): 0.489952312925382,
    ("CUSA2", "CUSA3"): 0.592356833685476,
}

# tests/fixtures/V_3_6_0/inner_weights_weights.csv (path_weighting) and factorial_weights.csv
# (path_factorial), test-inner_weighting.R: each item's weight on its own construct.
WEIGHTS: dict[str, dict[str, float]] = {
    "path": {
        "IMAG1": 0.331565496837403,
        "IMAG2": 0.253381407777625,
        "IMAG3": 0.19957423850573,
        "IMAG4": 0.330983162965217,
        "IMAG5": 0.310490528776397,
        "CUEX1": 0.505837721216892,
        "CUEX2": 0.49867124599148,
        "CUEX3": 0.43608211325906,
        "PERV1": 0.476812933927711,
        "PERV2": 0.606425335428161,
        "CUSA1": 0.387272947521168,
        "CUSA2": 0.373939896289369,
        "CUSA3": 0.439128431593844,
    },
    "factorial": {
        "IMAG1": 0.331417929000824,
        "IMAG2": 0.253564291907922,
        "IMAG3": 0.19949028773576,
        "IMAG4": 0.330960484536402,
        "IMAG5": 0.310582421176194,
        "CUEX1": 0.50546181549698,
        "CUEX2": 0.498776020320556,
        "CUEX3": 0.436436408131174,
        "PERV1": 0.476763694721729,
        "PERV2": 0.606472538658719,
        "CUSA1": 0.392237778705209,
        "CUSA2": 0.374988408094205,
        "CUSA3": 0.433377569601977,
    },
}

# tests/fixtures/V_3_6_0/inner_weights_coefficients.csv and factorial_coefficients.csv
# (test-inner_weighting.R): the Satisfaction column of path_coef.
PATHS_TO_SATISFACTION: dict[str, dict[str, float]] = {
    "path": {
        "Image": 0.447003896753383,
        "Expectation": 0.171830104491586,
        "Value": 0.316425319256027,
    },
    "factorial": {
        "Image": 0.446873985519376,
        "Expectation": 0.172941539187286,
        "Value": 0.315219423208024,
    },
}

# tests/fixtures/V_3_6_0/reliability.csv (test-summary.R): alpha, rhoC, AVE, rhoA.
RELIABILITY: dict[str, tuple[float, float, float, float]] = {
    "Image": (0.722834595427083, 0.818325774056256, 0.477979834838268, 0.745291554480322),
    "Expectation": (0.451902555978063, 0.733177801505283, 0.480507046633952, 0.461657986928213),
    "Value": (0.823631979352573, 0.917897281748515, 0.84831067540365, 0.857527048393235),
    "Satisfaction": (0.779195021918597, 0.871457927643628, 0.693363990925202, 0.784023593590752),
}

# tests/fixtures/V_3_6_0/rho1.csv (test-consistent.R): rhoA with inner_weights = path_factorial.
RHO_A_FACTORIAL: dict[str, float] = {
    "Image": 0.745259028158099,
    "Expectation": 0.461548791591939,
    "Value": 0.857578544960532,
    "Satisfaction": 0.782558691647281,
}

# tests/fixtures/V_3_6_0/cross_loadings.csv (test-summary.R): Image, Expectation, Value,
# Satisfaction.
CROSS_LOADINGS: dict[str, tuple[float, float, float, float]] = {
    "IMAG1": (0.763199100938388, 0.351586629361819, 0.396662680764419, 0.549181935347663),
    "IMAG2": (0.598825742061012, 0.377616253943051, 0.274820220679907, 0.419683270391335),
    "IMAG3": (0.561373435201573, 0.286575860500486, 0.338726721254416, 0.330560830802495),
    "IMAG4": (0.76917060820122, 0.372181225502837, 0.476569110531093, 0.548217397463973),
    "IMAG5": (0.73625435746935, 0.364244932128117, 0.27149283432302, 0.514274829622248),
    "CUEX1": (0.350272365836377, 0.76152466539557, 0.29426936238514, 0.372254478283692),
    "CUEX2": (0.406568591606649, 0.710214472518844, 0.179858031172824, 0.366980549249504),
    "CUEX3": (0.288485512416986, 0.597659373657607, 0.274495732143527, 0.320920154565308),
    "PERV1": (0.396949376120084, 0.307792878586811, 0.901400554962628, 0.485790176620051),
    "PERV2": (0.530183701954831, 0.348741408573845, 0.940265063862509, 0.617842868245876),
    "CUSA1": (0.579277608852175, 0.49324279016927, 0.411487058384975, 0.804053676874834),
    "CUSA2": (0.522746869083012, 0.397317737532231, 0.491875320611288, 0.842878555812946),
    "CUSA3": (0.627868432872707, 0.390906142343749, 0.598952326330781, 0.850379560919916),
}

# tests/fixtures/V_3_6_0/fl_table.csv (test-validity.R): sqrt(AVE) on the diagonal, construct
# correlations below it.
FORNELL_LARCKER: dict[tuple[str, str], float] = {
    ("Image", "Image"): 0.691360857178267,
    ("Expectation", "Image"): 0.505728413396833,
    ("Expectation", "Expectation"): 0.693186155829696,
    ("Value", "Image"): 0.510787425945094,
    ("Value", "Expectation"): 0.358245251153116,
    ("Value", "Value"): 0.921037825175302,
    ("Satisfaction", "Image"): 0.695529337198367,
    ("Satisfaction", "Expectation"): 0.511250543946958,
    ("Satisfaction", "Value"): 0.606306608005369,
    ("Satisfaction", "Satisfaction"): 0.832684808871402,
}

# tests/fixtures/V_3_6_0/htmt.csv, written by test-summary.R from the same model. seminr has
# commented its own HTMT check out ("Remove HTMT") and the file dates from 2019 (commit
# 06df04c), but the values are what the snapshot's R/evaluate_validity.R HTMT() computes.
HTMT: dict[tuple[str, str], float] = {
    ("Image", "Expectation"): 0.88803042750925,
    ("Image", "Value"): 0.651659392487802,
    ("Image", "Satisfaction"): 0.910100923782741,
    ("Expectation", "Value"): 0.588628982316289,
    ("Expectation", "Satisfaction"): 0.865108193553153,
    ("Value", "Satisfaction"): 0.740808927759395,
}

# tests/fixtures/V_3_6_0/vifs/flat_item_vifs1.csv (test-validity.R): (construct, item).
ITEM_VIFS: dict[tuple[str, str], float] = {
    ("Image", "IMAG1"): 1.46840074157899,
    ("Image", "IMAG2"): 1.22511896724264,
    ("Image", "IMAG3"): 1.25876515500919,
    ("Image", "IMAG4"): 1.51040340151145,
    ("Image", "IMAG5"): 1.40314478976676,
    ("Expectation", "CUEX1"): 1.16077200450283,
    ("Expectation", "CUEX2"): 1.12060419838461,
    ("Expectation", "CUEX3"): 1.04961624016727,
    ("Value", "PERV1"): 1.96158254047704,
    ("Value", "PERV2"): 1.96158254047704,
    ("Satisfaction", "CUSA1"): 1.50500417008445,
    ("Satisfaction", "CUSA2"): 1.76197723191477,
    ("Satisfaction", "CUSA3"): 1.64446280215093,
}

# tests/fixtures/V_3_6_0/vifs/flat_vif_antecedents1.csv and flat_vif_antecedents2.csv
# (test-validity.R, models mobi_sm1 and mobi_sm2): (endogenous construct, predictor).
ANTECEDENT_VIFS_1: dict[tuple[str, str], float] = {
    ("Satisfaction", "Image"): 1.6139498810707,
    ("Satisfaction", "Expectation"): 1.36849662441311,
    ("Satisfaction", "Value"): 1.37801850355244,
}
ANTECEDENT_VIFS_2: dict[tuple[str, str], float] = {
    ("Satisfaction", "Image"): 1.61267973867823,
    ("Satisfaction", "Expectation"): 1.36122775438484,
    ("Satisfaction", "Value"): 1.39344438153123,
    ("Value", "Image"): 1.33390062860533,
    ("Value", "Expectation"): 1.33390062860533,
}

# tests/fixtures/V_3_6_0/rsquared1.csv (test-metric.R; estimate_pls with its default
# inner_weights = path_weighting). The file's BIC row is not checked by seminr either.
R2_SATISFACTION = 0.590603320426892
R2_ADJUSTED_SATISFACTION = 0.585610677993074

# tests/fixtures/V_3_6_0/fsquared1.csv (test-metric.R): fSquared(model, "Image", "Satisfaction").
F2_IMAGE_SATISFACTION = 0.303554364141901
# tests/fixtures/V_3_6_0/fsquared2.csv (test-metric.R): the same with Image as the only
# predictor of Satisfaction (Image and Satisfaction alone in the model).
F2_IMAGE_ONLY = 0.941739145016071


# --- Tests ----------------------------------------------------------------------------------

K = TypeVar("K", bound=Hashable)


def _close(ours: Mapping[K, float], theirs: Mapping[K, float], tol: float) -> None:
    assert set(ours) == set(theirs)
    assert {key: float(value) for key, value in ours.items()} == pytest.approx(
        dict(theirs), abs=tol
    )


@pytest.fixture(scope="module")
def mobi() -> pd.DataFrame:
    return pd.read_csv(DATA)


@pytest.fixture(scope="module")
def fits(mobi: pd.DataFrame) -> dict[str, PLSResult]:
    schemes: tuple[Scheme, ...] = ("path", "factorial")
    return {scheme: fit(mobi, MOBI, scheme=scheme) for scheme in schemes}


def test_the_data_are_seminrs_mobi(fits: dict[str, PLSResult]) -> None:
    result = fits["path"]
    assert result.n == 250
    _close(result.item_mean.to_dict(), {i: m for i, (m, _) in ITEM_STATS.items()}, EXACT)
    _close(result.item_sd.to_dict(), {i: sd for i, (_, sd) in ITEM_STATS.items()}, EXACT)


def test_item_correlations(fits: dict[str, PLSResult]) -> None:
    corr = fits["path"].item_correlations
    _close({pair: corr.loc[pair] for pair in ITEM_CORRELATIONS}, ITEM_CORRELATIONS, EXACT)


@pytest.mark.parametrize("scheme", ["path", "factorial"])
def test_outer_weights(fits: dict[str, PLSResult], scheme: str) -> None:
    weights = fits[scheme].outer_weights
    ours = {item: weights.loc[(construct, item)] for construct, item in weights.index}
    _close(ours, WEIGHTS[scheme], ITERATED)


@pytest.mark.parametrize("scheme", ["path", "factorial"])
def test_paths_to_satisfaction(fits: dict[str, PLSResult], scheme: str) -> None:
    column = fits[scheme].paths["Satisfaction"]
    ours = {source: column[source] for source in PATHS_TO_SATISFACTION[scheme]}
    _close(ours, PATHS_TO_SATISFACTION[scheme], ITERATED)


def test_r_squared(fits: dict[str, PLSResult]) -> None:
    result = fits["path"]
    assert result.r2["Satisfaction"] == pytest.approx(R2_SATISFACTION, abs=ITERATED)
    assert result.r2_adjusted["Satisfaction"] == pytest.approx(
        R2_ADJUSTED_SATISFACTION, abs=ITERATED
    )


def test_reliability(fits: dict[str, PLSResult]) -> None:
    table = assess(fits["path"])
    for k, column in enumerate(("alpha", "rho_c", "ave", "rho_a")):
        tol = EXACT if column == "alpha" else ITERATED
        theirs = {construct: values[k] for construct, values in RELIABILITY.items()}
        _close(table[column].to_dict(), theirs, tol)


def test_rho_a_with_the_factorial_scheme(fits: dict[str, PLSResult]) -> None:
    _close(assess(fits["factorial"])["rho_a"].to_dict(), RHO_A_FACTORIAL, ITERATED)


def test_cross_loadings(fits: dict[str, PLSResult]) -> None:
    table = fits["path"].cross_loadings
    ours = {item: tuple(table.loc[item, CONSTRUCTS]) for item in ITEMS}
    assert set(ours) == set(CROSS_LOADINGS)
    for item, values in CROSS_LOADINGS.items():
        assert ours[item] == pytest.approx(values, abs=ITERATED), item


def test_fornell_larcker(fits: dict[str, PLSResult]) -> None:
    table = fornell_larcker(fits["path"])
    _close({pair: table.loc[pair] for pair in FORNELL_LARCKER}, FORNELL_LARCKER, ITERATED)


def test_htmt(fits: dict[str, PLSResult]) -> None:
    table = htmt_from_corr(fits["path"].item_correlations, MOBI.blocks)
    _close({pair: table.loc[pair] for pair in HTMT}, HTMT, EXACT)


def test_item_vifs(fits: dict[str, PLSResult]) -> None:
    _close(fits["path"].outer_vif.to_dict(), ITEM_VIFS, EXACT)


@pytest.mark.parametrize(
    ("model", "reference"), [(MOBI, ANTECEDENT_VIFS_1), (MOBI_2, ANTECEDENT_VIFS_2)]
)
def test_antecedent_vifs(
    mobi: pd.DataFrame, model: PathModel, reference: dict[tuple[str, str], float]
) -> None:
    table = fit(mobi, model, scheme="path").inner_vif
    ours = {(target, source): table.loc[source, target] for source, target in model.paths}
    _close(ours, reference, ITERATED)


def test_f2_of_a_single_predictor(mobi: pd.DataFrame) -> None:
    model = PathModel(
        blocks={name: BLOCKS[name] for name in ("Image", "Satisfaction")},
        paths=[("Image", "Satisfaction")],
    )
    f2 = fit(mobi, model, scheme="path").f2
    assert f2.loc["Image", "Satisfaction"] == pytest.approx(F2_IMAGE_ONLY, abs=ITERATED)


def test_f2_as_seminr_defines_it(mobi: pd.DataFrame, fits: dict[str, PLSResult]) -> None:
    """seminr's f^2 takes R^2 excluded from a re-estimation without the predictor (see the
    module docstring); our R^2 of such a refit reproduces it, and so does PLSResult.f2.
    PLSResult.f2_same_scores keeps the full model's scores: 0.302404506."""
    without_image = PathModel(
        blocks={name: items for name, items in BLOCKS.items() if name != "Image"},
        paths=[(source, target) for source, target in TO_SATISFACTION if source != "Image"],
    )
    included = fits["path"].r2["Satisfaction"]
    excluded = fit(mobi, without_image, scheme="path").r2["Satisfaction"]
    f2 = (included - excluded) / (1 - included)
    assert f2 == pytest.approx(F2_IMAGE_SATISFACTION, abs=ITERATED)
    # PLSResult.f2 re-estimates the same way.
    assert fits["path"].f2.loc["Image", "Satisfaction"] == pytest.approx(
        F2_IMAGE_SATISFACTION, abs=ITERATED
    )
    assert fits["path"].f2_same_scores.loc["Image", "Satisfaction"] == pytest.approx(
        0.302404506, abs=ITERATED
    )
