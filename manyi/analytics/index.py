"""The 0-100 satisfaction index and ACSI-style impacts (no Django).

Each item is rescaled from its theoretical scale (1-5, 1-10, 0-10 ...) to 0-100. A
construct's index is the weighted mean of its rescaled items, with the PLS weights brought
back to the items' own units (standardised weight / item standard deviation) and normalised
to sum to one, as the ACSI does. Impacts are the change in the target's 0-100 score for a
5-point gain in a driver: five times the total effect estimated on the 0-100 scores.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .pls import PLSError, PLSResult


def rescale(data: pd.DataFrame, scales: Mapping[str, tuple[float, float]]) -> pd.DataFrame:
    """Items on 0-100 from their declared (minimum, maximum); values outside are refused."""
    columns = {}
    for item, (low, high) in scales.items():
        if high <= low:
            raise PLSError(f"scale of {item!r} must run from a minimum to a larger maximum")
        values = data[item].astype(float)
        outside = values[(values < low) | (values > high)]
        if len(outside):
            raise PLSError(
                f"{item!r} has {len(outside)} answers outside its scale "
                f"{low:g}-{high:g} (first: {outside.iloc[0]:g})"
            )
        columns[item] = (values - low) / (high - low) * 100
    return pd.DataFrame(columns, index=data.index)


def index_weights(result: PLSResult, data: pd.DataFrame) -> pd.Series:
    """Unstandardised outer weights, normalised to sum to one within each construct."""
    weights = result.outer_weights.copy()
    for construct, item in weights.index:
        weights[(construct, item)] /= data[item].std(ddof=1)
    sums = weights.groupby(level="construct").transform("sum")
    if (sums <= 0).any():
        bad = sorted(set(weights.index.get_level_values("construct")[sums.to_numpy() <= 0]))
        raise PLSError(
            f"the weights of {', '.join(bad)} do not sum to a positive number; "
            "an item is probably reverse-coded"
        )
    return (weights / sums).rename("index weight")


def index_scores(
    result: PLSResult,
    data: pd.DataFrame,
    scales: Mapping[str, tuple[float, float]],
    *,
    weights: pd.Series | None = None,
) -> pd.DataFrame:
    """Every respondent's 0-100 score on every construct. `weights` default to those of the
    data the model was estimated on; pass them to score other respondents the same way."""
    rescaled = rescale(data, scales)
    if weights is None:
        weights = index_weights(result, data)
    scores = {
        construct: rescaled[list(items)].to_numpy() @ weights.loc[construct].to_numpy()
        for construct, items in result.model.blocks.items()
    }
    # Weighted means of 0-100 values: clipping removes only floating-point noise.
    return pd.DataFrame(scores, index=data.index).clip(0, 100)


def total_effects(paths: pd.DataFrame) -> pd.DataFrame:
    """Direct plus all indirect effects: B + B² + B³ ... for a recursive model."""
    direct = paths.to_numpy()
    total = np.zeros_like(direct)
    power = direct.copy()
    while np.any(np.abs(power) > 1e-15):
        total += power
        power = power @ direct
    return pd.DataFrame(total, index=paths.index, columns=paths.columns)


def impacts(result: PLSResult, scores: pd.DataFrame, *, gain: float = 5.0) -> pd.DataFrame:
    """Points gained by each target for a `gain`-point rise of each driver (0-100 scale)."""
    unstandardised = pd.DataFrame(0.0, index=result.paths.index, columns=result.paths.columns)
    for target in result.model.endogenous():
        preds = result.model.predecessors(target)
        x = np.column_stack([np.ones(len(scores)), scores[preds].to_numpy()])
        beta = np.linalg.lstsq(x, scores[target].to_numpy(), rcond=None)[0][1:]
        unstandardised.loc[preds, target] = beta
    return total_effects(unstandardised) * gain
