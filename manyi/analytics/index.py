"""The 0-100 satisfaction index and ACSI-style impacts (no Django).

Each item is rescaled from its theoretical scale (1-5, 1-10, 0-10 ...) to 0-100. A
construct's index is the weighted mean of its rescaled items, with the PLS weights brought
back to the rescaled items' units (standardised weight / standard deviation of the rescaled
item) and normalised to sum to one, as the ACSI does. Impacts are the change in the
target's 0-100 score for a 5-point gain in a driver: five times the total effect estimated
on the 0-100 scores (unstandardised path coefficients).

Everything here works on the items' means, standard deviations and correlations, so the
same functions serve a fit, a weighted fit and a whole batch of bootstrap resamples.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .pls import Layout, PLSError, PLSResult, _solve, _total, total_effects

__all__ = [
    "impacts",
    "index_batch",
    "index_scores",
    "index_summary",
    "index_weights",
    "rescale",
    "total_effects",
    "unstandardised_paths",
]

Scales = Mapping[str, tuple[float, float]]


def rescale(data: pd.DataFrame, scales: Scales) -> pd.DataFrame:
    """Items on 0-100 from their declared (minimum, maximum); values outside are refused."""
    columns = {}
    for item, (low, high) in scales.items():
        if high <= low:
            raise PLSError(
                f"scale of {item!r} must run from a minimum to a larger maximum",
                zh=f"题项“{item}”的量表必须从最小值到更大的最大值",
            )
        values = data[item].astype(float)
        outside = values[(values < low) | (values > high)]
        if len(outside):
            raise PLSError(
                f"{item!r} has {len(outside)} answers outside its scale "
                f"{low:g}-{high:g} (first: {outside.iloc[0]:g})",
                zh=f"题项“{item}”有 {len(outside)} 个回答超出量表 {low:g}-{high:g}"
                f"（第一个：{outside.iloc[0]:g}）",
            )
        columns[item] = (values - low) / (high - low) * 100
    return pd.DataFrame(columns, index=data.index)


def _bounds(items: list[str], scales: Scales) -> tuple[np.ndarray, np.ndarray]:
    missing = [item for item in items if item not in scales]
    if missing:
        raise PLSError(
            f"no scale declared for {', '.join(missing)}",
            zh=f"以下题项没有声明量表：{'、'.join(missing)}",
        )
    low = np.array([scales[i][0] for i in items], dtype=float)
    high = np.array([scales[i][1] for i in items], dtype=float)
    return low, high


def index_batch(
    mean: np.ndarray,
    sd: np.ndarray,
    corr: np.ndarray,
    weights: np.ndarray,
    layout: Layout,
    low: np.ndarray,
    high: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a batch (B, ...): normalised index weights (B, p, K), mean 0-100 index per
    construct (B, K) and unstandardised total effects on the 0-100 scores (B, K, K)."""
    span = high - low
    scaled_mean = (mean - low) / span * 100
    scaled_sd = sd / span * 100
    raw = weights / scaled_sd[:, :, None]  # zero outside each block
    sums = raw.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        normalised = raw / sums
    index = np.einsum("bp,bpk->bk", scaled_mean, normalised)
    cov = corr * scaled_sd[:, :, None] * scaled_sd[:, None, :]
    score_cov = np.swapaxes(normalised, 1, 2) @ cov @ normalised
    k = len(layout.constructs)
    direct = np.zeros((mean.shape[0], k, k))
    for j in range(k):
        preds = layout.predecessors(j)
        if preds.size:
            direct[:, preds, j] = _solve(score_cov[:, preds][:, :, preds], score_cov[:, preds, j])
    return normalised, index, _total(direct)


def unstandardised_paths(result: PLSResult, scales: Scales) -> pd.DataFrame:
    """Direct effects on the 0-100 scores: points of the target per point of the source."""
    layout = Layout.of(result.model)
    items = list(layout.items)
    low, high = _bounds(items, scales)
    normalised, _, _ = _for_result(result, scales)
    span = high - low
    scaled_sd = result.item_sd.reindex(items).to_numpy() / span * 100
    corr = result.item_correlations.loc[items, items].to_numpy()
    cov = corr * np.outer(scaled_sd, scaled_sd)
    score_cov = normalised[0].T @ cov @ normalised[0]
    k = len(layout.constructs)
    direct = np.zeros((k, k))
    for j in range(k):
        preds = layout.predecessors(j)
        if preds.size:
            direct[preds, j] = np.linalg.solve(score_cov[np.ix_(preds, preds)], score_cov[preds, j])
    constructs = result.model.constructs
    return pd.DataFrame(direct, index=constructs, columns=constructs)


def _for_result(result: PLSResult, scales: Scales) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    layout = Layout.of(result.model)
    items = list(layout.items)
    low, high = _bounds(items, scales)
    weights = np.zeros((1, len(items), len(layout.constructs)))
    for (construct, item), value in result.outer_weights.items():
        weights[0, items.index(item), layout.constructs.index(construct)] = value
    return index_batch(
        result.item_mean.reindex(items).to_numpy()[None],
        result.item_sd.reindex(items).to_numpy()[None],
        result.item_correlations.loc[items, items].to_numpy()[None],
        weights,
        layout,
        low,
        high,
    )


def index_weights(result: PLSResult, scales: Scales) -> pd.Series:
    """Unstandardised outer weights, normalised to sum to one within each construct."""
    normalised, _, _ = _for_result(result, scales)
    layout = Layout.of(result.model)
    values = [
        normalised[0, layout.items.index(item), layout.constructs.index(construct)]
        for construct, item in result.outer_weights.index
    ]
    weights = pd.Series(values, index=result.outer_weights.index, name="index weight")
    items = list(weights.index.get_level_values("item"))
    low, high = _bounds(items, scales)
    raw = result.outer_weights / (result.item_sd.reindex(items).to_numpy() / (high - low))
    sums = raw.groupby(level="construct").sum()
    bad = [str(c) for c, total in sums.items() if not total > 0]
    if bad:
        raise PLSError(
            f"the weights of {', '.join(bad)} do not sum to a positive number; "
            "an item is probably reverse-coded",
            zh=f"潜变量 {'、'.join(bad)} 的权重之和不为正：可能有反向计分的题项未声明",
        )
    return weights


def index_summary(result: PLSResult, scales: Scales) -> pd.Series:
    """The mean 0-100 index of every construct (weighted when the fit was)."""
    index_weights(result, scales)  # refuses non-positive weight sums
    _, index, _ = _for_result(result, scales)
    return pd.Series(index[0], index=result.model.constructs, name="index")


def index_scores(
    result: PLSResult,
    data: pd.DataFrame,
    scales: Scales,
    *,
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Every respondent's 0-100 score on every construct. `weights` default to those of the
    fitted model; pass them to score other respondents the same way."""
    rescaled = rescale(data[result.model.items], scales)
    if weights is None:
        weights = index_weights(result, scales)
    scores = {
        construct: rescaled[list(items)].to_numpy() @ weights.loc[construct].to_numpy()
        for construct, items in result.model.blocks.items()
    }
    # Weighted means of 0-100 values stay within 0-100 up to floating-point noise, which is
    # removed; a formative block with a negative weight can leave the range, and is kept
    # as it is (analyse() warns about negative weights).
    frame = pd.DataFrame(scores, index=data.index)
    frame = frame.mask((frame < 0) & (frame > -1e-6), 0.0)
    return frame.mask((frame > 100) & (frame < 100 + 1e-6), 100.0)


def impacts(result: PLSResult, scales: Scales, *, gain: float = 5.0) -> pd.DataFrame:
    """Points gained by each target for a `gain`-point rise of each driver (0-100 scale)."""
    _, _, total = _for_result(result, scales)
    constructs = result.model.constructs
    return pd.DataFrame(total[0] * gain, index=constructs, columns=constructs)
