"""The satisfaction figures a service manager reports, with how sure they are.

- CSAT: the share of 4 and 5 on a 1-5 scale ("top two boxes"), with a Wilson 95% interval;
- NPS: % promoters (9-10) minus % detractors (0-6) on the 0-10 "would you recommend" scale,
  with its standard error from the multinomial variance, (P + D - (P - D)^2) / n;
- CES: the mean effort score (1-7, higher is easier) with a t interval.

Missing answers (None, NaN, "") are left out and counted; answers outside the scale are an
error, never silently dropped. Every function takes any iterable of numbers, so a pandas
column works as it is; `by_group` computes a metric per branch, channel, agent or month.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Z95 = 1.959963984540054


class ScaleError(ValueError):
    """An answer outside the scale; `zh` is the message in Chinese."""

    def __init__(self, message: str, *, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


@dataclass(frozen=True)
class Share:
    """A percentage with its 95% interval (percentage points)."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    missing: int


@dataclass(frozen=True)
class NPS:
    value: float | None  # -100 .. 100
    promoters: float | None  # percentages
    passives: float | None
    detractors: float | None
    margin: float | None  # 95% margin of error, in points
    n: int
    missing: int


@dataclass(frozen=True)
class Mean:
    value: float | None
    low: float | None
    high: float | None
    n: int
    missing: int


def _answers(values: Iterable[Any], low: float, high: float, name: str) -> tuple[list[float], int]:
    kept: list[float] = []
    missing = 0
    for raw in values:
        if raw is None or raw == "":
            missing += 1
            continue
        number = float(raw)
        if math.isnan(number):
            missing += 1
            continue
        if not low <= number <= high:
            raise ScaleError(
                f"{name}: {raw} is outside the scale {low:g}-{high:g}",
                zh=f"{name}：{raw} 超出量表范围 {low:g}-{high:g}",
            )
        kept.append(number)
    return kept, missing


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion (right at 0% and 100%, unlike p ± z·se)."""
    if n == 0:
        return (math.nan, math.nan)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def csat(values: Iterable[Any], *, scale: tuple[int, int] = (1, 5), top: int = 2) -> Share:
    """The share of answers in the `top` highest points of the scale (4-5 of 1-5)."""
    low, high = scale
    kept, missing = _answers(values, low, high, "CSAT")
    if not kept:
        return Share(None, None, None, 0, missing)
    return share_from_counts(sum(1 for v in kept if v > high - top), len(kept), missing=missing)


def share_from_counts(successes: int, n: int, *, missing: int = 0) -> Share:
    if n == 0:
        return Share(None, None, None, 0, missing)
    lo, hi = wilson(successes, n)
    return Share(100 * successes / n, 100 * lo, 100 * hi, n, missing)


def nps(values: Iterable[Any]) -> NPS:
    kept, missing = _answers(values, 0, 10, "NPS")
    return nps_from_counts(
        sum(1 for v in kept if v >= 9),
        sum(1 for v in kept if 6 < v < 9),
        sum(1 for v in kept if v <= 6),
        missing=missing,
    )


def nps_from_counts(promoters: int, passives: int, detractors: int, *, missing: int = 0) -> NPS:
    """NPS from counts (what a database aggregate returns)."""
    n = promoters + passives + detractors
    if n == 0:
        return NPS(None, None, None, None, None, 0, missing)
    promoters, passives, detractors = promoters / n, passives / n, detractors / n
    score = promoters - detractors
    variance = (promoters + detractors - score * score) / n
    return NPS(
        100 * score,
        100 * promoters,
        100 * passives,
        100 * detractors,
        100 * Z95 * math.sqrt(variance),
        n,
        missing,
    )


def mean(values: Iterable[Any], *, scale: tuple[float, float] = (1, 7), name: str = "CES") -> Mean:
    """The mean on a scale with a 95% t interval (CES on 1-7 by default)."""
    kept, missing = _answers(values, scale[0], scale[1], name)
    return mean_from_sums(len(kept), sum(kept), sum(v * v for v in kept), missing=missing)


def mean_from_sums(n: int, total: float, squares: float, *, missing: int = 0) -> Mean:
    """The mean and its t interval from n, the sum and the sum of squares."""
    from scipy import stats

    if n == 0:
        return Mean(None, None, None, 0, missing)
    average = total / n
    if n == 1:
        return Mean(average, None, None, 1, missing)
    variance = max(0.0, (squares - n * average * average) / (n - 1))
    half = stats.t.ppf(0.975, n - 1) * math.sqrt(variance / n)
    return Mean(average, average - half, average + half, n, missing)


def ces(values: Iterable[Any], *, scale: tuple[float, float] = (1, 7)) -> Mean:
    return mean(values, scale=scale, name="CES")


def by_group(
    rows: Iterable[Mapping[str, Any]],
    *,
    key: str | Callable[[Mapping[str, Any]], Hashable],
    value: str,
    metric: Callable[[list[Any]], Any],
) -> dict[Hashable, Any]:
    """A metric per group, e.g. NPS by branch: ``by_group(rows, key="branch", value="nps",
    metric=nps)``; groups in the order first seen."""
    groups: dict[Hashable, list[Any]] = {}
    for row in rows:
        group = key(row) if callable(key) else row.get(key)
        groups.setdefault(group, []).append(row.get(value))
    return {group: metric(values) for group, values in groups.items()}


def low_score_threshold(low: float, high: float) -> float:
    """The highest answer that counts as low on a rating scale: 0-6 on ten- and eleven-point
    scales (NPS detractors), otherwise the points below the middle (1-2 of 5, 1-3 of 7)."""
    if high < low:
        raise ScaleError(f"scale {low}-{high} runs backwards", zh=f"量表 {low}-{high} 上下颠倒")
    if high - low >= 9:
        return low + 6 if low == 0 else 6.0
    middle = (low + high) / 2
    return float(math.ceil(middle) - 1)
