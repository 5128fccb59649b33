"""Importance-performance (IPMA), the strategy matrix and the improvement ranking (no Django).

Importance of a construct: its unstandardised total effect on the target's 0-100 index (the
points the target gains for one point of the driver). Performance: its mean 0-100 index.
At item level, importance is the item's normalised index weight times its construct's
importance, and performance the item's mean on 0-100.

The strategy matrix of seed 000 splits the drivers at the mean importance and the mean
performance into four areas:

- advantage (high importance, high score): keep or raise; 优势区, 保持或提高;
- weakness (high importance, low score): improve first; 劣势区, 全力投入提高;
- low priority (low importance, low score): improving changes little; 无关紧要区;
- complex (low importance, high score): decide case by case; 复杂区.

The improvement ranking (seed 000, enterprise B): items of high importance come first;
within each half, items are ordered by improvement potential, importance x (100 - score),
the satisfaction a full improvement of the item would win. So among important items a low
score ranks first, and an important item with a high score ranks later the higher its
score is, as the seed prescribes. Ties go to the more important item. This is the order "in
the ideal state"; priority.py adjusts it for the cost and feasibility of each improvement.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .index import _for_result, index_weights
from .pls import Layout, PLSError, PLSResult

QUADRANTS: dict[str, dict[str, str]] = {
    "advantage": {"zh": "优势区：保持或提高", "en": "Advantage: keep it"},
    "weakness": {"zh": "劣势区：优先改进", "en": "Weakness: improve first"},
    "low_priority": {"zh": "无关紧要区", "en": "Low priority"},
    "complex": {"zh": "复杂区：视情况而定", "en": "Complex: case by case"},
}
EXCELLENT_SCORE = 80.0


def _target_effects(result: PLSResult, scales: Mapping, target: str) -> pd.Series:
    if target not in result.model.blocks:
        raise PLSError(f"target {target!r} is not a construct", zh=f"目标变量“{target}”不存在")
    _, _index, total = _for_result(result, scales)
    layout = Layout.of(result.model)
    j = layout.constructs.index(target)
    effects = pd.Series(total[0][:, j], index=list(layout.constructs))
    drivers = effects[effects.abs() > 1e-12]
    if drivers.empty:
        raise PLSError(
            f"no construct has an effect on {target!r}; is it the model's outcome?",
            zh=f"没有潜变量影响“{target}”；请检查目标变量",
        )
    return drivers


def ipma_constructs(result: PLSResult, scales: Mapping, target: str) -> pd.DataFrame:
    drivers = _target_effects(result, scales, target)
    _, index, _ = _for_result(result, scales)
    performance = pd.Series(index[0], index=result.model.constructs)
    return pd.DataFrame(
        {"importance": drivers, "performance": performance[drivers.index]}
    ).rename_axis("construct")


def ipma_items(result: PLSResult, scales: Mapping, target: str) -> pd.DataFrame:
    drivers = _target_effects(result, scales, target)
    weights = index_weights(result, scales)
    rows = []
    for construct in drivers.index:
        for item in result.model.blocks[construct]:
            low, high = scales[item]
            mean = float(result.item_mean[item])
            rows.append(
                {
                    "construct": construct,
                    "item": item,
                    "importance": float(weights[(construct, item)] * drivers[construct]),
                    "performance": (mean - low) / (high - low) * 100,
                }
            )
    return pd.DataFrame(rows)


def quadrant(
    importance: pd.Series,
    performance: pd.Series,
    *,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> tuple[pd.Series, float, float]:
    """The area of the strategy matrix of each point, and the cuts used (default: means)."""
    i_cut = float(importance.mean()) if importance_cut is None else importance_cut
    p_cut = float(performance.mean()) if performance_cut is None else performance_cut
    high_i = importance >= i_cut
    high_p = performance >= p_cut
    area = np.select(
        [high_i & high_p, high_i & ~high_p, ~high_i & ~high_p],
        ["advantage", "weakness", "low_priority"],
        default="complex",
    )
    return pd.Series(area, index=importance.index), i_cut, p_cut


def strategy_matrix(
    table: pd.DataFrame,
    *,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
) -> tuple[pd.DataFrame, dict[str, float]]:
    areas, i_cut, p_cut = quadrant(
        table["importance"],
        table["performance"],
        importance_cut=importance_cut,
        performance_cut=performance_cut,
    )
    out = table.copy()
    out["quadrant"] = areas
    return out, {"importance": i_cut, "performance": p_cut}


def recommendation(
    label: str, area: str, score: float, impact: float, *, language: str = "zh"
) -> str:
    """A short recommendation, following seed 000's reading of each area."""
    zh = language.lower().startswith("zh")
    if area == "weakness":
        return (
            f"“{label}”得分偏低（{score:.1f}），对满意度影响大（{impact:.3f}），"
            "是竞争劣势，应优先投入资源改进。"
            if zh
            else f"'{label}' scores low ({score:.1f}) but weighs heavily ({impact:.3f}): "
            "a weakness to improve first."
        )
    if area == "advantage":
        if score >= EXCELLENT_SCORE:
            return (
                f"“{label}”表现很好（{score:.1f}）且影响大，是竞争优势，应保持现有水平。"
                if zh
                else f"'{label}' performs very well ({score:.1f}) and matters: keep it."
            )
        return (
            f"“{label}”影响大、得分较高（{score:.1f}）但仍有提升空间，应继续提高以增强相对优势。"
            if zh
            else f"'{label}' matters and scores above average ({score:.1f}) but not yet "
            "excellent: raise it to strengthen the advantage."
        )
    if area == "complex":
        return (
            f"“{label}”得分高（{score:.1f}）而影响小，属于复杂区：若过去投入过多可适当减少；"
            "若是基本要素需维持水平；也可作为细分市场的诉求重点。"
            if zh
            else f"'{label}' scores high ({score:.1f}) but matters little: cut spending if it "
            "was overserved, hold it if it is a basic requirement, or feature it to a "
            "segment that values it."
        )
    return (
        f"“{label}”得分低（{score:.1f}）且影响小，改进对提高满意度意义不大，可暂缓。"
        if zh
        else f"'{label}' scores low ({score:.1f}) and matters little: improving it changes "
        "satisfaction little; it can wait."
    )


def priority_ranking(
    items: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    importance_cut: float | None = None,
    performance_cut: float | None = None,
    language: str = "zh",
) -> pd.DataFrame:
    """Rank items for improvement: columns item, label, construct, score, impact, potential,
    quadrant, rank, recommendation. `items` has item, importance and performance columns
    (and optionally construct)."""
    table, cuts = strategy_matrix(
        items.rename(columns={"score": "performance", "impact": "importance"}),
        importance_cut=importance_cut,
        performance_cut=performance_cut,
    )
    table = table.rename(columns={"performance": "score", "importance": "impact"})
    table["potential"] = table["impact"] * (100 - table["score"])
    table["important"] = table["quadrant"].isin(["advantage", "weakness"])
    table = table.sort_values(
        ["important", "potential", "impact"], ascending=[False, False, False], kind="stable"
    ).reset_index(drop=True)
    table["rank"] = np.arange(1, len(table) + 1)
    labels = labels or {}
    table["label"] = [labels.get(item, item) for item in table["item"]]
    table["recommendation"] = [
        recommendation(row.label, row.quadrant, row.score, row.impact, language=language)
        for row in table.itertuples()
    ]
    columns = ["rank", "item", "label", "construct", "score", "impact", "potential"]
    columns += ["quadrant", "recommendation"]
    ranked = table[[c for c in columns if c in table.columns]].copy()
    ranked.attrs["cuts"] = cuts  # where the items' matrix is split
    return ranked
