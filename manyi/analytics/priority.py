"""The improvement order adjusted for cost and capability (seed 000; no Django).

Seed 000 ranks items for improvement "in the ideal state" (`ipma.priority_ranking`) and then
asks to combine that order with the company's capability and the cost of each improvement:
"需要把理想状态下的改进优先顺序和能力及成本综合起来考虑", "在建议的基础上，参考实际约束，
实施切实可行的改进措施". This module does that, with one rule (docs/improvement-priority.md):

- expected gain = potential x feasibility: the points of the target's 0-100 index the
  company expects to win. Potential, impact x (100 - score), is what a full improvement of
  the item would win; feasibility (capability) is the share of the item's gap to 100 the
  company expects to close: 0-1, or a 1-5 rating read as rating / 5. A negative potential
  (a score above 100 or a negative impact) counts as no gain;
- adjusted score = expected gain / cost: points per cost grade (cost rated 1-5) or per
  10,000 CNY (cost as an amount);
- adjusted order: on the basis of the ideal order, so the important half (advantage and
  weakness areas of the strategy matrix) stays ahead of the other half; within each half,
  the higher adjusted score first; ties: cheaper, then more feasible, then the ideal order.
  Items the analyst judged infeasible (feasibility 0 entered) are not practicable
  ("切实可行") and go to the end, in the ideal order.

With every cost and feasibility equal (or none entered) the adjusted order is the ideal
order. A missing cost or feasibility is assumed to be the median of the values entered for
the other items (neither pushed ahead nor held back for lack of an estimate) and flagged;
with no value entered for any item, that input plays no part.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real
from typing import Any, Literal

import numpy as np
import pandas as pd

from .pls import PLSError

CostScale = Literal["rating", "cny"]
FeasibilityScale = Literal["share", "rating"]
COST_SCALES = ("rating", "cny")
FEASIBILITY_SCALES = ("share", "rating")
RATING = (1.0, 5.0)
CNY_UNIT = 10_000.0  # the adjusted score is per 10,000 CNY (万元), so its figures read well
IMPORTANT_AREAS = ("advantage", "weakness")
REQUIRED_COLUMNS = ("item", "rank", "quadrant", "potential")
NEW_COLUMNS = (
    "cost",
    "feasibility",
    "cost_assumed",
    "feasibility_assumed",
    "expected_gain",
    "adjusted_score",
    "adjusted_rank",
)
# The unit of the adjusted score, by the unit of cost ("points" when no cost was entered).
UNITS: dict[str, dict[str, str]] = {
    "points_per_grade": {
        "zh": "每个成本等级可提升的满意度分值",
        "en": "points of the target per cost grade",
    },
    "points_per_10k_cny": {
        "zh": "每万元可提升的满意度分值",
        "en": "points of the target per 10,000 CNY",
    },
    "points": {"zh": "可提升的满意度分值", "en": "points of the target"},
}


@dataclass(frozen=True)
class ItemCost:
    """What the analyst knows of improving one item; None where it is not known.

    cost: a 1-5 rating (1 cheapest) or an amount in CNY, as the call's `cost_scale` says;
    feasibility: the company's capability, a share 0-1 of the item's gap to 100 it expects
    to close, or a 1-5 rating (5 easiest), as the call's `feasibility_scale` says."""

    cost: float | Decimal | None = None
    feasibility: float | Decimal | None = None


# What callers pass: item -> ItemCost, or a plain {"cost": ..., "feasibility": ...}.
Costs = Mapping[str, ItemCost | Mapping[str, Any] | None]


def _number(value: Any, item: str, what: str, what_zh: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (Real, Decimal)):
        raise PLSError(
            f"the {what} of {item!r} is not a number: {value!r}",
            zh=f"题项“{item}”的{what_zh}不是数字：{value}",
        )
    number = float(value)
    if math.isnan(number):
        return None  # an empty spreadsheet cell
    if math.isinf(number):
        raise PLSError(
            f"the {what} of {item!r} must be a finite number; got {value}",
            zh=f"题项“{item}”的{what_zh}必须是有限的数字，实际为 {value}",
        )
    return number


def _fields(entry: Any, item: str) -> tuple[Any, Any]:
    if isinstance(entry, ItemCost):
        return entry.cost, entry.feasibility
    if entry is None:
        return None, None
    if not isinstance(entry, Mapping):
        raise PLSError(
            f"the cost entry of {item!r} must be an ItemCost or a mapping with 'cost' and "
            f"'feasibility'; got {entry!r}",
            zh=f"题项“{item}”的成本信息应包含“cost”（成本）和“feasibility”（可行性）",
        )
    unknown = sorted(str(k) for k in entry if k not in ("cost", "feasibility"))
    if unknown:
        raise PLSError(
            f"unknown field(s) for {item!r}: {', '.join(unknown)}; expected cost, feasibility",
            zh=f"题项“{item}”的成本信息有无法识别的字段：{'、'.join(unknown)}；"
            "应为 cost（成本）、feasibility（可行性）",
        )
    return entry.get("cost"), entry.get("feasibility")


def _check_scales(cost_scale: str, feasibility_scale: str) -> None:
    if cost_scale not in COST_SCALES:
        raise PLSError(
            f"cost_scale must be 'rating' (1-5) or 'cny' (an amount); got {cost_scale!r}",
            zh=f"成本的量纲应为“rating”（1-5 评级）或“cny”（金额，元），实际为“{cost_scale}”",
        )
    if feasibility_scale not in FEASIBILITY_SCALES:
        raise PLSError(
            f"feasibility_scale must be 'share' (0-1) or 'rating' (1-5); got {feasibility_scale!r}",
            zh=f"可行性的量纲应为“share”（0-1 比例）或“rating”（1-5 评级），"
            f"实际为“{feasibility_scale}”",
        )


def read_costs(
    costs: Costs,
    *,
    cost_scale: CostScale = "rating",
    feasibility_scale: FeasibilityScale = "share",
) -> dict[str, tuple[float | None, float | None]]:
    """Validate the analyst's entries: item -> (cost in its unit, feasibility as a 0-1
    share), None where not known. Checked before any model is fitted, so a typo costs
    nothing; PLSError (English and Chinese) on the first bad entry."""
    _check_scales(cost_scale, feasibility_scale)
    if not isinstance(costs, Mapping):
        raise PLSError(
            "costs must map each item to its cost and feasibility",
            zh="改进成本应为“题项 -> 成本与可行性”的对应表",
        )
    low, high = RATING
    out: dict[str, tuple[float | None, float | None]] = {}
    for item, entry in costs.items():
        item = str(item)
        raw_cost, raw_feasibility = _fields(entry, item)
        cost = _number(raw_cost, item, "cost", "成本")
        if cost is not None:
            if cost < 0:
                raise PLSError(
                    f"the cost of {item!r} is negative ({raw_cost})",
                    zh=f"题项“{item}”的成本为负数（{raw_cost}）",
                )
            if cost_scale == "rating" and not low <= cost <= high:
                raise PLSError(
                    f"the cost of {item!r} is a 1-5 rating; got {raw_cost}",
                    zh=f"题项“{item}”的成本应为 1-5 的评级，实际为 {raw_cost}",
                )
            if cost == 0:
                raise PLSError(
                    f"the cost of {item!r} must be greater than zero; enter a small amount "
                    "for an improvement that costs almost nothing",
                    zh=f"题项“{item}”的成本必须大于零；几乎不花钱的改进请填一个较小的金额",
                )
        feasibility = _number(raw_feasibility, item, "feasibility", "可行性")
        if feasibility is not None:
            if feasibility_scale == "share":
                if not 0 <= feasibility <= 1:
                    raise PLSError(
                        f"the feasibility of {item!r} must be between 0 and 1; "
                        f"got {raw_feasibility}",
                        zh=f"题项“{item}”的可行性应在 0 到 1 之间，实际为 {raw_feasibility}",
                    )
            else:
                if not low <= feasibility <= high:
                    raise PLSError(
                        f"the feasibility of {item!r} is a 1-5 rating; got {raw_feasibility}",
                        zh=f"题项“{item}”的可行性应为 1-5 的评级，实际为 {raw_feasibility}",
                    )
                feasibility = feasibility / high
        out[item] = (cost, feasibility)
    return out


def _filled(values: pd.Series, default: float) -> tuple[pd.Series, pd.Series]:
    """Missing values set to the median of the entered ones (or `default` when none was)."""
    assumed = values.isna()
    fill = float(values.median()) if (~assumed).any() else default
    return values.fillna(fill), assumed


def unit_of(cost_scale: CostScale, costed: bool) -> str:
    """The code of the adjusted score's unit (a key of UNITS)."""
    if not costed:
        return "points"
    return "points_per_10k_cny" if cost_scale == "cny" else "points_per_grade"


def adjust_priority(
    table: pd.DataFrame,
    costs: Costs,
    *,
    cost_scale: CostScale = "rating",
    feasibility_scale: FeasibilityScale = "share",
) -> pd.DataFrame:
    """The priority table (`ipma.priority_ranking`) with the order adjusted for cost and
    capability, sorted by it; the ideal `rank` stays beside `adjusted_rank`.

    New columns: cost (entered or assumed, in its unit; empty when no item has one),
    feasibility (the 0-1 share used), cost_assumed and feasibility_assumed (True where the
    median of the other items stood in), expected_gain = max(potential, 0) x feasibility
    (points of the target), adjusted_score = expected_gain / cost (points per cost grade,
    or per 10,000 CNY), adjusted_rank. The rule and its reasons are in the module docstring
    and docs/improvement-priority.md; attrs["adjustment"] records the scales and the unit.
    """
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise PLSError(
            f"the priority table lacks column(s): {', '.join(missing)}",
            zh=f"改进排序表缺少列：{'、'.join(missing)}",
        )
    entries = read_costs(costs, cost_scale=cost_scale, feasibility_scale=feasibility_scale)
    ranked = set(table["item"])
    unknown = [item for item in entries if item not in ranked]
    if unknown:
        raise PLSError(
            f"not among the ranked items: {', '.join(unknown)}",
            zh=f"以下题项不在改进排序中：{'、'.join(unknown)}",
        )
    out = table.drop(columns=[c for c in NEW_COLUMNS if c in table.columns]).copy()
    given_cost = pd.Series(
        [entries.get(item, (None, None))[0] for item in out["item"]], index=out.index, dtype=float
    )
    given_feasibility = pd.Series(
        [entries.get(item, (None, None))[1] for item in out["item"]], index=out.index, dtype=float
    )
    costed = bool(given_cost.notna().any())
    cost, cost_assumed = _filled(given_cost, 1.0)
    feasibility, feasibility_assumed = _filled(given_feasibility, 1.0)
    per = CNY_UNIT if cost_scale == "cny" else 1.0
    gain = out["potential"].astype(float).clip(lower=0) * feasibility
    out["cost"] = cost if costed else np.nan
    out["feasibility"] = feasibility
    out["cost_assumed"] = cost_assumed
    out["feasibility_assumed"] = feasibility_assumed
    out["expected_gain"] = gain
    out["adjusted_score"] = gain / (cost / per)
    # Only an entered zero sets an item aside: an assumed value never does.
    practicable = ~((feasibility == 0) & ~feasibility_assumed)
    important = out["quadrant"].isin(IMPORTANT_AREAS)
    keys = pd.DataFrame(
        {
            "practicable": practicable,
            "important": important,
            "score": out["adjusted_score"],
            "cost": cost,
            "feasibility": feasibility,
            "rank": out["rank"],
        },
        index=out.index,
    )
    order = keys.sort_values(
        list(keys.columns), ascending=[False, False, False, True, False, True], kind="stable"
    ).index
    out = out.loc[order].reset_index(drop=True)
    out["adjusted_rank"] = np.arange(1, len(out) + 1)
    out.attrs = dict(table.attrs)
    out.attrs["adjustment"] = {
        "cost_scale": cost_scale,
        "feasibility_scale": feasibility_scale,
        "unit": unit_of(cost_scale, costed),
    }
    return out
