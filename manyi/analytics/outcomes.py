"""What a point of satisfaction is worth: a business outcome regressed on the index across
branches (or regions) and waves (no Django).

Seed 000 reports that a point of satisfaction moved market share by 0.2-0.6 percentage
points. The same question for one company: over the (branch, wave) points, the outcome
(revenue per customer, complaints per 1,000 customers, retention ...) against the branch's
index in that wave. Two estimates:

- pooled: ordinary least squares over every point; it mixes "better branches earn more"
  with "a branch that got better earned more";
- within branches: each branch's own mean taken out first (branch fixed effects), so only
  a branch's movement from wave to wave counts; it needs at least two waves per branch and
  is the one to quote for "what improving is worth".

Each slope comes with its 95% interval from Student's t (n - 2 degrees of freedom pooled,
n - branches - 1 within). Points of one branch are not independent samples of the world,
and a dozen points is little: the result says so (`caution`) instead of hiding it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

FEW_POINTS = 20


@dataclass(frozen=True)
class Point:
    group: str  # branch or region
    wave: str
    index: float
    outcome: float


@dataclass(frozen=True)
class Slope:
    """Outcome units per index point."""

    slope: float | None
    low: float | None
    high: float | None
    p: float | None
    r2: float | None
    n: int
    df: int


@dataclass(frozen=True)
class Relation:
    pooled: Slope
    within: Slope
    caution: list[str]  # "few_points", "interval_spans_zero", "one_wave"


def _fit(x: np.ndarray, y: np.ndarray, df: int, confidence: float) -> Slope:
    n = len(x)
    sxx = float(((x - x.mean()) ** 2).sum())
    if df < 1 or sxx <= 0:
        return Slope(None, None, None, None, None, n, df)
    slope = float(((x - x.mean()) * (y - y.mean())).sum() / sxx)
    residual = y - y.mean() - slope * (x - x.mean())
    sse = float((residual**2).sum())
    sst = float(((y - y.mean()) ** 2).sum())
    se = math.sqrt(sse / df / sxx)
    r2 = 1 - sse / sst if sst > 0 else None
    if se == 0:
        return Slope(slope, slope, slope, 0.0, r2, n, df)
    t = stats.t.ppf(0.5 + confidence / 2, df)
    p = float(2 * stats.t.sf(abs(slope / se), df))
    return Slope(slope, slope - t * se, slope + t * se, p, r2, n, df)


def relation(points: Sequence[Point], confidence: float = 0.95) -> Relation:
    """The outcome against the index, pooled and within groups."""
    usable = [p for p in points if math.isfinite(p.index) and math.isfinite(p.outcome)]
    x = np.array([p.index for p in usable], dtype=float)
    y = np.array([p.outcome for p in usable], dtype=float)
    n = len(usable)
    pooled = _fit(x, y, n - 2, confidence)
    groups = sorted({p.group for p in usable})
    xw, yw = x.copy(), y.copy()
    for group in groups:
        rows = np.array([p.group == group for p in usable])
        xw[rows] -= x[rows].mean()
        yw[rows] -= y[rows].mean()
    within = _fit(xw, yw, n - len(groups) - 1, confidence)
    caution = []
    if n < FEW_POINTS:
        caution.append("few_points")
    if len({p.wave for p in usable}) < 2:
        caution.append("one_wave")
    best = within if within.slope is not None else pooled
    if best.low is not None and best.low <= 0 <= best.high:
        caution.append("interval_spans_zero")
    return Relation(pooled=pooled, within=within, caution=caution)
