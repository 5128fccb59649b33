"""RFM scoring with quintiles (no Django).

Each customer gets 1-5 for recency (5 = bought most recently), frequency and monetary value
(5 = most). Scores are percentile ranks cut into fifths, with ties sharing a score, so a
thousand customers with one purchase each all get the same frequency score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def quintile_scores(values: np.ndarray | pd.Series, *, higher_is_better: bool = True) -> np.ndarray:
    """1-5 by percentile rank (average rank for ties); NaN stays 0 (no purchase)."""
    series = pd.Series(np.asarray(values, dtype=float))
    ranks = series.rank(method="average", pct=True, ascending=higher_is_better)
    scores = np.ceil(ranks.to_numpy() * 5).clip(1, 5)
    scores[series.isna().to_numpy()] = 0
    return scores.astype(np.int8)


def rfm_scores(
    recency_days: np.ndarray, frequency: np.ndarray, monetary: np.ndarray
) -> pd.DataFrame:
    """A frame with r, f, m (1-5) and the usual three-digit code, e.g. '545'."""
    frame = pd.DataFrame(
        {
            "r": quintile_scores(recency_days, higher_is_better=False),
            "f": quintile_scores(frequency),
            "m": quintile_scores(monetary),
        }
    )
    frame["code"] = frame["r"].astype(str) + frame["f"].astype(str) + frame["m"].astype(str)
    return frame
