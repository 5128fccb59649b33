"""Comparing the same model across groups: survey waves, branches, segments (no Django).

Each group is estimated on its own and bootstrapped with the same number of resamples.
For every pair of groups and every path coefficient, 0-100 index and impact, the
difference of the estimates is tested with the bootstrap distributions of both groups
(Henseler's PLS-MGA): the one-sided probability that group A's parameter exceeds group
B's, made two-sided. A small p means the groups really differ; the confidence interval of
the difference comes from the same draws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from .bootstrap import BootstrapResult, bootstrap
from .modelfile import IndexModel
from .pls import PLSError
from .survey import prepare

COMPARED = ("path", "index", "impact", "r2")


@dataclass
class GroupComparison:
    groups: dict[str, BootstrapResult]
    sizes: dict[str, int]
    table: pd.DataFrame  # one row per (group A, group B, kind, name)
    left_out: dict[str, int] = field(default_factory=dict)  # groups too small to compare

    def to_dict(self) -> dict[str, Any]:
        return {
            "left_out": dict(self.left_out),
            "groups": {
                name: {
                    "n": self.sizes[name],
                    "index": {k: float(v) for k, v in boot.kind("index")["original"].items()},
                }
                for name, boot in self.groups.items()
            },
            "differences": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in self.table.to_dict(orient="records")
            ],
        }


def compare_groups(
    data: pd.DataFrame,
    model: IndexModel,
    group_column: str,
    *,
    samples: int = 500,
    seed: int = 0,
    scheme: str | None = None,
    confidence: float = 0.95,
    min_group: int = 30,
    missing: str | None = None,
    leave_out_small: bool = False,
) -> GroupComparison:
    """Compare every pair of groups. A group with fewer than `min_group` usable cases is
    refused, or with `leave_out_small` left out and named (a branch with few answers in a
    wave should not stop the other branches' comparison)."""
    if group_column not in data.columns:
        raise PLSError(
            f"group column {group_column!r} is not in the data",
            zh=f"数据中没有分组列“{group_column}”",
        )
    path_model = model.path_model
    unscaled = [item for item in path_model.items if item not in model.scales]
    if unscaled:
        raise PLSError(
            f"declare the scale of every item to compare indices; missing: {', '.join(unscaled)}",
            zh=f"比较指数需要每个题项的量表；缺少：{'、'.join(unscaled)}",
        )
    prepared = prepare(
        data,
        path_model.items,
        model.items,
        missing=(missing or model.missing),  # type: ignore[arg-type]
        weights_column=model.weights,
    )
    labels = data[group_column].reset_index(drop=True).loc[prepared.frame.index]
    labels = labels.astype(str).where(labels.notna(), None)
    names = [g for g in pd.unique(labels.dropna())]
    if len(names) < 2:
        raise PLSError(
            f"{group_column!r} has fewer than two groups", zh=f"分组列“{group_column}”少于两组"
        )
    small = {g: int((labels == g).sum()) for g in names if (labels == g).sum() < min_group}
    if small and leave_out_small and len(names) - len(small) >= 2:
        names = [g for g in names if g not in small]
    elif small:
        listing = ", ".join(f"{g} ({n})" for g, n in small.items())
        raise PLSError(
            f"groups with fewer than {min_group} usable cases cannot be compared: {listing}",
            zh=f"以下分组的有效个案少于 {min_group} 个，无法比较：{listing}",
        )
    else:
        small = {}
    results: dict[str, BootstrapResult] = {}
    sizes: dict[str, int] = {}
    weights = prepared.sample_weights
    for offset, group in enumerate(names):
        rows = (labels == group).to_numpy()
        results[group] = bootstrap(
            prepared.frame[rows],
            path_model,
            samples=samples,
            seed=seed + offset,
            scheme=(scheme or model.scheme),  # type: ignore[arg-type]
            sample_weights=None if weights is None else weights[rows],
            scales=model.scales,
            confidence=confidence,
            bca=False,
        )
        sizes[group] = int(rows.sum())
    alpha = 1 - confidence
    rows_out = []
    for a, b in combinations(names, 2):
        ta, tb = results[a].table, results[b].table
        for position, (kind, name) in enumerate(ta.index):
            if kind not in COMPARED:
                continue
            draws_a = results[a].draws[:, position]
            draws_b = results[b].draws[:, position]
            size = min(draws_a.size, draws_b.size)
            diff = draws_a[:size] - draws_b[:size]
            # Henseler: P(theta_A <= theta_B) over all pairs of draws, from sorted draws.
            below = np.searchsorted(np.sort(draws_b), draws_a, side="right").mean() / draws_b.size
            p = float(min(1.0, 2 * min(below, 1 - below)))
            low, high = np.quantile(diff, [alpha / 2, 1 - alpha / 2])
            rows_out.append(
                {
                    "group_a": a,
                    "group_b": b,
                    "kind": kind,
                    "name": name,
                    "value_a": float(ta.loc[(kind, name), "original"]),
                    "value_b": float(tb.loc[(kind, name), "original"]),
                    "difference": float(
                        ta.loc[(kind, name), "original"] - tb.loc[(kind, name), "original"]
                    ),
                    "ci_low": float(low),
                    "ci_high": float(high),
                    "p": p,
                    "significant": bool(p < alpha),
                }
            )
    return GroupComparison(results, sizes, pd.DataFrame(rows_out), left_out=small)
