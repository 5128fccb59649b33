"""Reliability and validity of the measurement model (no Django).

Cronbach's alpha, composite reliability (rho_c), rho_A, average variance extracted (AVE),
the Fornell-Larcker criterion and the heterotrait-monotrait ratio (HTMT), computed from a
fitted PLS result or directly from item data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .pls import PLSResult, standardise

# Usual thresholds (Hair et al.): what reports flag.
THRESHOLDS = {"alpha": 0.7, "rho_c": 0.7, "rho_a": 0.7, "ave": 0.5, "htmt": 0.85}


def cronbach_alpha(items: pd.DataFrame) -> float:
    """Alpha of standardised items: k/(k-1) * (1 - k / var(sum))."""
    k = items.shape[1]
    if k < 2:
        return float("nan")
    z = standardise(items)
    total = z.sum(axis=1).var(ddof=1)
    return float(k / (k - 1) * (1 - k / total))


def composite_reliability(loadings: np.ndarray) -> float:
    loadings = np.asarray(loadings, dtype=float)
    explained = loadings.sum() ** 2
    return float(explained / (explained + np.sum(1 - loadings**2)))


def average_variance_extracted(loadings: np.ndarray) -> float:
    return float(np.mean(np.asarray(loadings, dtype=float) ** 2))


def rho_a(items: pd.DataFrame, weights: np.ndarray) -> float:
    """Dijkstra and Henseler's consistent reliability of a Mode A block."""
    w = np.asarray(weights, dtype=float)
    if w.size < 2:
        return 1.0
    s = np.corrcoef(standardise(items).to_numpy(), rowvar=False)
    ww = np.outer(w, w)
    return float((w @ w) ** 2 * (w @ _off_diagonal(s) @ w) / (w @ _off_diagonal(ww) @ w))


def _off_diagonal(matrix: np.ndarray) -> np.ndarray:
    return matrix - np.diag(np.diag(matrix))


def htmt(data: pd.DataFrame, blocks: dict[str, list[str]]) -> pd.DataFrame:
    """Heterotrait-monotrait ratio for every pair of constructs with two or more items."""
    corr = data[[i for items in blocks.values() for i in items]].corr().abs()
    names = [c for c, items in blocks.items() if len(items) >= 2]

    def mono(items: list[str]) -> float:
        block = corr.loc[items, items].to_numpy()
        return float(block[np.triu_indices_from(block, k=1)].mean())

    table = pd.DataFrame(np.nan, index=names, columns=names)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            hetero = float(corr.loc[blocks[a], blocks[b]].to_numpy().mean())
            value = hetero / np.sqrt(mono(blocks[a]) * mono(blocks[b]))
            table.loc[a, b] = table.loc[b, a] = value
    return table


def assess(result: PLSResult, data: pd.DataFrame) -> pd.DataFrame:
    """One row per construct: alpha, rho_c, rho_A, AVE, and whether Fornell-Larcker holds
    (the square root of the AVE exceeds every correlation with another construct)."""
    correlations = result.scores.corr()
    rows = {}
    for construct, items in result.model.blocks.items():
        loadings = result.loadings.loc[construct].to_numpy()
        weights = result.outer_weights.loc[construct].to_numpy()
        ave = average_variance_extracted(loadings)
        others = correlations.loc[construct].drop(construct).abs()
        rows[construct] = {
            "alpha": cronbach_alpha(data[list(items)]),
            "rho_c": composite_reliability(loadings),
            "rho_a": rho_a(data[list(items)], weights),
            "ave": ave,
            "fornell_larcker": bool(np.sqrt(ave) > others.max()) if len(others) else True,
        }
    return pd.DataFrame(rows).T
