"""The satisfaction index over time: each wave's index with its bootstrap interval, and
whether it moved since the wave before (no Django).

Waves are independent samples (different respondents each quarter), so the change of a
construct's index between two waves is tested with the two bootstrap standard errors:
z = (I2 - I1) / sqrt(se1² + se2²), two-sided normal p. A change is called significant at
p < 0.05; without a bootstrap in either wave the change is shown but not tested.

    waves = [Wave("2026Q1", n=310, index={"满意度": 71.2}, se={"满意度": 0.8}), ...]
    rows = changes(waves)          # one row per construct and wave
    frame = pd.DataFrame(rows)     # for an analyst's own charts
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scipy import stats

ALPHA = 0.05


@dataclass(frozen=True)
class Wave:
    """One wave's index, as its run computed it."""

    label: str
    n: int
    index: Mapping[str, float]
    se: Mapping[str, float | None] = field(default_factory=dict)
    low: Mapping[str, float | None] = field(default_factory=dict)
    high: Mapping[str, float | None] = field(default_factory=dict)
    groups: Mapping[str, Mapping[str, float]] = field(default_factory=dict)  # group -> index


def wave_from_result(label: str, result: Mapping[str, Any]) -> Wave:
    """A wave from a run's stored result (the analysis' `to_dict()`)."""
    boot = (result.get("bootstrap") or {}).get("index") or {}
    groups = {
        name: dict(group.get("index") or {})
        for name, group in ((result.get("groups") or {}).get("groups") or {}).items()
    }
    return Wave(
        label=label,
        n=int(result.get("n_used") or 0),
        index={k: float(v) for k, v in (result.get("index") or {}).items() if v is not None},
        se={k: (row or {}).get("se") for k, row in boot.items()},
        low={k: (row or {}).get("ci_low") for k, row in boot.items()},
        high={k: (row or {}).get("ci_high") for k, row in boot.items()},
        groups=groups,
    )


def change_test(
    before: float, after: float, se_before: float | None, se_after: float | None
) -> tuple[float, float | None]:
    """The change and its two-sided p (None when either wave has no standard error)."""
    change = after - before
    if not se_before or not se_after:
        return change, None
    spread = math.hypot(se_before, se_after)
    if spread <= 0 or not math.isfinite(spread):
        return change, None
    return change, float(2 * stats.norm.sf(abs(change) / spread))


def changes(waves: Sequence[Wave], alpha: float = ALPHA) -> list[dict[str, Any]]:
    """One row per construct and wave, in the waves' order: the index, its interval, and
    the change from the previous wave with its p and whether it is significant."""
    rows: list[dict[str, Any]] = []
    constructs = list(dict.fromkeys(c for wave in waves for c in wave.index))
    for construct in constructs:
        previous: Wave | None = None
        for wave in waves:
            if construct not in wave.index:
                continue
            row: dict[str, Any] = {
                "construct": construct,
                "wave": wave.label,
                "n": wave.n,
                "index": wave.index[construct],
                "se": wave.se.get(construct),
                "low": wave.low.get(construct),
                "high": wave.high.get(construct),
                "change": None,
                "p": None,
                "significant": False,
            }
            if previous is not None:
                change, p = change_test(
                    previous.index[construct],
                    wave.index[construct],
                    previous.se.get(construct),
                    wave.se.get(construct),
                )
                row.update(change=change, p=p, significant=p is not None and p < alpha)
            rows.append(row)
            previous = wave
    return rows


def group_table(waves: Sequence[Wave], construct: str) -> dict[str, dict[str, float]]:
    """group (branch or region) -> wave -> the construct's index, for the waves that
    compared groups."""
    table: dict[str, dict[str, float]] = {}
    for wave in waves:
        for group, index in wave.groups.items():
            if construct in index and index[construct] is not None:
                table.setdefault(group, {})[wave.label] = float(index[construct])
    return dict(sorted(table.items()))
