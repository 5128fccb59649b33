"""Reliability and validity of the measurement model (no Django).

Cronbach's alpha, composite reliability (rho_c), rho_A, average variance extracted (AVE),
the Fornell-Larcker criterion and the heterotrait-monotrait ratio (HTMT). Everything is
computed from the items' correlation matrix, so sample weights carry through and the
bootstrap can evaluate HTMT for a whole batch of resamples at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .pls import PLSError, PLSResult

# Usual thresholds (Hair et al. 2022; Henseler, Ringle and Sarstedt 2015) that reports flag,
# with the explanation a report prints next to a flag.
THRESHOLDS: dict[str, dict[str, object]] = {
    "alpha": {
        "min": 0.7,
        "en": "Cronbach's alpha below 0.7: the items of this construct do not agree enough.",
        "zh": "Cronbach α 系数低于 0.7：该潜变量的题项一致性不足。",
    },
    "rho_c": {
        "min": 0.7,
        "en": "Composite reliability below 0.7: the construct is measured unreliably.",
        "zh": "组合信度 ρc 低于 0.7：该潜变量的测量不够可靠。",
    },
    "rho_a": {
        "min": 0.7,
        "en": "rho_A below 0.7: the construct's reliability is doubtful.",
        "zh": "ρA 低于 0.7：该潜变量的信度存疑。",
    },
    "ave": {
        "min": 0.5,
        "en": "AVE below 0.5: the items share less variance with the construct than with error"
        " (convergent validity fails).",
        "zh": "平均提取方差 AVE 低于 0.5：题项与潜变量共享的方差少于误差（收敛效度不足）。",
    },
    "fornell_larcker": {
        "en": "Fornell-Larcker fails: the construct correlates with another construct more"
        " than with its own items (discriminant validity fails).",
        "zh": "Fornell-Larcker 准则未通过：该潜变量与其他潜变量的相关高于与自身题项的共享"
        "（区别效度不足）。",
    },
    "htmt": {
        "max": 0.85,
        "en": "HTMT above 0.85: the two constructs may not be distinct (0.90 is tolerated"
        " for conceptually close constructs such as satisfaction and loyalty).",
        "zh": "HTMT 高于 0.85：两个潜变量可能区分不开（概念相近的如满意度与忠诚度可放宽到 0.90）。",
    },
    "loading": {
        "min": 0.708,
        "en": "Loading below 0.708: the construct explains less than half of this item's"
        " variance; consider dropping it if reliability and AVE improve.",
        "zh": "载荷低于 0.708：潜变量解释不到该题项一半的方差；"
        "若删除后信度和 AVE 提高，可考虑删除。",
    },
    "vif": {
        "max": 5.0,
        "en": "VIF above 5: strong collinearity; weights and paths are unstable.",
        "zh": "VIF 高于 5：共线性严重，权重和路径系数不稳定。",
    },
}


def _corr(items: pd.DataFrame) -> np.ndarray:
    std = items.std(ddof=1)
    constant = std[~(std > 0)].index.tolist()
    if constant:
        names = ", ".join(map(str, constant))
        raise PLSError(
            f"items without variance cannot be used: {names}",
            zh=f"题项没有变化（所有人的回答都相同），无法使用：{names}",
        )
    return items.corr().to_numpy()


def alpha_from_corr(corr: np.ndarray) -> float:
    """Alpha of standardised items: k/(k-1) * (1 - k / variance of their sum)."""
    k = corr.shape[-1]
    if k < 2:
        return float("nan")
    return float(k / (k - 1) * (1 - k / corr.sum()))


def cronbach_alpha(items: pd.DataFrame) -> float:
    return alpha_from_corr(_corr(items)) if items.shape[1] >= 2 else float("nan")


def composite_reliability(loadings: np.ndarray) -> float:
    loadings = np.asarray(loadings, dtype=float)
    explained = loadings.sum() ** 2
    return float(explained / (explained + np.sum(1 - loadings**2)))


def average_variance_extracted(loadings: np.ndarray) -> float:
    return float(np.mean(np.asarray(loadings, dtype=float) ** 2))


def rho_a_from_corr(corr: np.ndarray, weights: np.ndarray) -> float:
    """Dijkstra and Henseler's consistent reliability of a Mode A block."""
    w = np.asarray(weights, dtype=float)
    if w.size < 2:
        return 1.0
    ww = np.outer(w, w)
    return float((w @ w) ** 2 * (w @ _off_diagonal(corr) @ w) / (w @ _off_diagonal(ww) @ w))


def rho_a(items: pd.DataFrame, weights: np.ndarray) -> float:
    return rho_a_from_corr(_corr(items), weights)


def _off_diagonal(matrix: np.ndarray) -> np.ndarray:
    return matrix - np.diag(np.diag(matrix))


def htmt_pairs(blocks: Sequence[np.ndarray]) -> list[tuple[int, int]]:
    """The pairs of blocks HTMT is defined for: both with two or more items."""
    multi = [j for j, cols in enumerate(blocks) if cols.size >= 2]
    return [(a, b) for i, a in enumerate(multi) for b in multi[i + 1 :]]


def htmt_batch(
    corr: np.ndarray, blocks: Sequence[np.ndarray]
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """HTMT of every pair of multi-item blocks for a batch of correlation matrices (B, p, p):
    the pairs (block indices) and their values (B, pairs)."""
    corr = np.abs(corr)
    pairs = htmt_pairs(blocks)
    mono = {}
    for j in {j for pair in pairs for j in pair}:
        cols = blocks[j]
        upper = np.triu_indices(cols.size, k=1)
        mono[j] = corr[:, cols][:, :, cols][:, upper[0], upper[1]].mean(axis=1)
    values = np.empty((corr.shape[0], len(pairs)))
    for k, (a, b) in enumerate(pairs):
        hetero = corr[:, blocks[a]][:, :, blocks[b]].mean(axis=(1, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            values[:, k] = hetero / np.sqrt(mono[a] * mono[b])
    return pairs, values


def htmt_from_corr(corr: pd.DataFrame, blocks: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    names = list(blocks)
    position = {item: i for i, item in enumerate(corr.index)}
    arrays = [np.array([position[i] for i in blocks[c]]) for c in names]
    pairs, values = htmt_batch(corr.to_numpy()[None], arrays)
    multi = [c for c, cols in zip(names, arrays, strict=True) if cols.size >= 2]
    table = pd.DataFrame(np.nan, index=multi, columns=multi)
    for (a, b), value in zip(pairs, values[0], strict=True):
        table.loc[names[a], names[b]] = table.loc[names[b], names[a]] = value
    return table


def htmt(data: pd.DataFrame, blocks: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Heterotrait-monotrait ratio for every pair of constructs with two or more items."""
    items = [i for its in blocks.values() for i in its]
    corr = pd.DataFrame(_corr(data[items]), index=items, columns=items)
    return htmt_from_corr(corr, blocks)


def assess(result: PLSResult, data: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per construct: alpha, rho_c, rho_A, AVE, and whether Fornell-Larcker holds
    (the square root of the AVE exceeds every correlation with another construct).
    The data argument is accepted for compatibility; the result carries what is needed."""
    correlations = result.construct_correlations
    item_corr = result.item_correlations
    rows = {}
    for construct, items in result.model.blocks.items():
        items = list(items)
        loadings = result.loadings.loc[construct].to_numpy()
        weights = result.outer_weights.loc[construct].to_numpy()
        block = item_corr.loc[items, items].to_numpy()
        ave = average_variance_extracted(loadings)
        others = correlations.loc[construct].drop(construct).abs()
        rows[construct] = {
            "items": len(items),
            "mode": result.model.mode(construct),
            "alpha": alpha_from_corr(block),
            "rho_c": composite_reliability(loadings),
            "rho_a": rho_a_from_corr(block, weights),
            "ave": ave,
            "fornell_larcker": bool(np.sqrt(ave) > others.max()) if len(others) else True,
        }
    return pd.DataFrame(rows).T


def fornell_larcker(result: PLSResult) -> pd.DataFrame:
    """Construct correlations with the square root of each AVE on the diagonal."""
    table = result.construct_correlations.copy()
    for construct in table.index:
        loadings = result.loadings.loc[construct].to_numpy()
        table.loc[construct, construct] = np.sqrt(average_variance_extracted(loadings))
    return table


def flags(
    result: PLSResult, report: pd.DataFrame, htmt_table: pd.DataFrame, language: str = "zh"
) -> list[dict[str, str]]:
    """Every threshold a result breaks, with its explanation: what reports show first."""
    out: list[dict[str, str]] = []
    for construct, row in report.iterrows():
        reflective = row["mode"] == "A" and row["items"] > 1
        for key in ("alpha", "rho_c", "rho_a", "ave"):
            if reflective and row[key] < THRESHOLDS[key]["min"]:  # type: ignore[operator]
                out.append(_flag(key, str(construct), float(row[key]), language))
        if row["mode"] == "A" and not row["fornell_larcker"]:
            out.append(_flag("fornell_larcker", str(construct), None, language))
    for (construct, item), value in result.loadings.items():
        if (
            result.model.mode(construct) == "A"
            and len(result.model.blocks[construct]) > 1
            and value < THRESHOLDS["loading"]["min"]  # type: ignore[operator]
        ):
            out.append(_flag("loading", f"{construct} / {item}", float(value), language))
    for (construct, item), value in result.outer_vif.items():
        if result.model.mode(construct) == "B" and value > THRESHOLDS["vif"]["max"]:  # type: ignore[operator]
            out.append(_flag("vif", f"{construct} / {item}", float(value), language))
    names = [c for c in htmt_table.index if result.model.mode(c) == "A"]
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            value = float(htmt_table.loc[a, b])
            if value > THRESHOLDS["htmt"]["max"]:  # type: ignore[operator]
                out.append(_flag("htmt", f"{a} ~ {b}", value, language))
    return out


def _flag(key: str, where: str, value: float | None, language: str) -> dict[str, str]:
    text = THRESHOLDS[key]["zh" if language.startswith("zh") else "en"]
    shown = "" if value is None else f"{value:.3f}"
    return {"check": key, "where": where, "value": shown, "message": str(text)}
