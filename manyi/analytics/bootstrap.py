"""Bootstrap inference for PLS path models (no Django).

    boot = bootstrap(survey_frame, model, samples=1000, seed=7)
    boot.table   # one row per parameter: original, mean, se, t, p, percentile and BCa bounds

Resamples are estimated in batches: each batch of resampled data becomes a stack of
correlation matrices and the PLS iteration runs on the whole stack at once (see
`pls.estimate`), which is what makes 1,000 resamples take a fraction of a second.

Parameters: path coefficients, total effects, R², outer weights, loadings, HTMT and, when
the item scales are given, the 0-100 index of every construct and the impacts (points
gained by a target for a 5-point gain of a driver).

t = original / bootstrap standard error; p is two-sided from Student's t with n - 1
degrees of freedom (n = cases), as SmartPLS and seminr report. BCa intervals use the
jackknife for the acceleration (delete-one up to 2,000 cases, delete-a-group above).
Resamples whose weights do not converge are dropped and counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from .index import index_batch
from .pls import (
    SCHEMES,
    Layout,
    PathModel,
    PLSError,
    Scheme,
    _sample_weights,
    _total,
    check_cases,
    correlation_moments,
    estimate,
    numeric_items,
)
from .reliability import htmt_batch, htmt_pairs

JACKKNIFE_GROUPS = 2000
GAIN = 5.0
# Large data of few, discrete answers (ratings) has far fewer distinct answer patterns than
# respondents: resampling respondents is then drawing how often each pattern occurs, from
# the multinomial with the patterns' shares, which gives the same bootstrap distribution at
# a cost that grows with the patterns, not the respondents.
PATTERN_MIN_ROWS = 20_000
PATTERN_MAX_PRODUCTS = 30_000_000  # distinct patterns x items², the (U, p²) table's size


@dataclass
class ParameterSpace:
    """Names of the bootstrapped parameters and how to compute them for a batch."""

    layout: Layout
    scheme: Scheme
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    max_iter: int = 300
    tol: float = 1e-10
    names: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        lay = self.layout
        c = lay.constructs
        names: list[tuple[str, str]] = []
        self._edges = [(int(s), int(t)) for s, t in zip(*np.nonzero(lay.adjacency), strict=True)]
        names += [("path", f"{c[s]} -> {c[t]}") for s, t in self._edges]
        reach = _total(lay.adjacency[None])[0] > 0
        self._reach = [(int(s), int(t)) for s, t in zip(*np.nonzero(reach), strict=True)]
        names += [("total_effect", f"{c[s]} -> {c[t]}") for s, t in self._reach]
        self._endogenous = [j for j in range(len(c)) if lay.predecessors(j).size]
        names += [("r2", c[j]) for j in self._endogenous]
        self._outer = [(int(i), int(lay.owner[i])) for cols in lay.blocks for i in cols]
        names += [("outer_weight", f"{c[j]} / {lay.items[i]}") for i, j in self._outer]
        names += [("loading", f"{c[j]} / {lay.items[i]}") for i, j in self._outer]
        self._htmt_pairs = htmt_pairs(lay.blocks)
        names += [("htmt", f"{c[a]} ~ {c[b]}") for a, b in self._htmt_pairs]
        if self.low is not None:
            names += [("index", name) for name in c]
            names += [("impact", f"{c[s]} -> {c[t]}") for s, t in self._reach]
        self.names = names

    def evaluate(
        self, mean: np.ndarray, sd: np.ndarray, corr: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Parameter values (B, P) and which rows converged (B,)."""
        lay = self.layout
        est = estimate(corr, lay, scheme=self.scheme, max_iter=self.max_iter, tol=self.tol)
        beta, r2 = est.paths(lay)
        total = _total(beta)
        loadings = corr @ est.weights
        parts = [
            np.stack([beta[:, s, t] for s, t in self._edges], axis=1),
            np.stack([total[:, s, t] for s, t in self._reach], axis=1),
            r2[:, self._endogenous],
            np.stack([est.weights[:, i, j] for i, j in self._outer], axis=1),
            np.stack([loadings[:, i, j] for i, j in self._outer], axis=1),
            htmt_batch(corr, lay.blocks)[1],
        ]
        if self.low is not None and self.high is not None:
            _, index, unstd_total = index_batch(
                mean, sd, corr, est.weights, lay, self.low, self.high
            )
            parts.append(index)
            parts.append(np.stack([unstd_total[:, s, t] * GAIN for s, t in self._reach], axis=1))
        values = np.concatenate([p.reshape(p.shape[0], -1) for p in parts], axis=1)
        ok = est.converged & np.isfinite(values).all(axis=1)
        return values, ok


@dataclass
class BootstrapResult:
    table: pd.DataFrame
    draws: np.ndarray  # (B, P): converged resamples only, columns in table order
    samples: int
    failed: int
    seed: int
    confidence: float
    n: int

    def __repr__(self) -> str:
        shown = self.table.loc[["path"]].round(4) if "path" in self.table.index else self.table
        return (
            f"BootstrapResult(samples={self.samples}, failed={self.failed}, seed={self.seed})\n"
            f"{shown.to_string()}"
        )

    def kind(self, kind: str) -> pd.DataFrame:
        return self.table.xs(kind, level="kind") if kind in self.table.index else pd.DataFrame()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "samples": self.samples,
            "failed": self.failed,
            "seed": self.seed,
            "confidence": self.confidence,
        }
        for (kind, name), row in self.table.iterrows():
            out.setdefault(kind, {})[name] = {
                key: (float(value) if np.isfinite(value) else None) for key, value in row.items()
            }
        return out


def resample_moments(
    x: np.ndarray, rows: np.ndarray, sample_weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means, SDs and correlations of x[rows[b]] for every resample b (rows: (B, n))."""
    picked = x[rows]  # (B, n, p)
    n = rows.shape[1]
    if sample_weights is None:
        mean = picked.mean(axis=1)
        centred = picked - mean[:, None, :]
        cov = np.swapaxes(centred, 1, 2) @ centred / (n - 1)
    else:
        w = sample_weights[rows]
        w = w * (n / w.sum(axis=1, keepdims=True))
        mean = np.einsum("bn,bnp->bp", w, picked) / n
        centred = picked - mean[:, None, :]
        cov = np.swapaxes(centred * w[:, :, None], 1, 2) @ centred / (n - 1)
    return _to_corr(mean, cov)


def answer_patterns(x: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The distinct rows of x and how often each occurs, when resampling those is cheaper
    than resampling the rows (None otherwise)."""
    n, p = x.shape
    if n < PATTERN_MIN_ROWS:
        return None
    unique, counts = np.unique(x, axis=0, return_counts=True)
    if unique.shape[0] * 2 > n or unique.shape[0] * p * p > PATTERN_MAX_PRODUCTS:
        return None
    return unique, counts


def pattern_moments(
    unique: np.ndarray, centred_products: np.ndarray, centre: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means, SDs and correlations of the resamples whose pattern counts are `counts`
    (B, U): sums about a fixed centre, so the products are formed once for all resamples."""
    b, p = counts.shape[0], unique.shape[1]
    weights = counts.astype(float)
    total = weights.sum(axis=1)
    s1 = weights @ (unique - centre)
    s2 = (weights @ centred_products).reshape(b, p, p)
    mean_c = s1 / total[:, None]
    cov = (s2 - total[:, None, None] * mean_c[:, :, None] * mean_c[:, None, :]) / (total - 1)[
        :, None, None
    ]
    return _to_corr(mean_c + centre, cov)


def _to_corr(mean: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sd = np.sqrt(np.einsum("bii->bi", cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / (sd[:, :, None] * sd[:, None, :])
    return mean, sd, corr


def jackknife_moments(
    x: np.ndarray, groups: np.ndarray, sample_weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Moments of the data with each group of rows left out in turn (groups: labels 0..G-1)."""
    n = x.shape[0]
    w = np.ones(n) if sample_weights is None else sample_weights * (n / sample_weights.sum())
    centre = x.mean(axis=0)
    xc = x - centre  # sums of squares about a fixed centre keep the downdates accurate
    count = np.bincount(groups, weights=w)
    s1 = np.zeros((count.size, x.shape[1]))
    np.add.at(s1, groups, xc * w[:, None])
    s2 = np.zeros((count.size, x.shape[1], x.shape[1]))
    order = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[order], np.arange(count.size + 1))
    for g in range(count.size):  # one small product per group, no (n, p, p) array
        rows = order[bounds[g] : bounds[g + 1]]
        s2[g] = (xc[rows] * w[rows, None]).T @ xc[rows]
    total0, total1, total2 = w.sum(), s1.sum(axis=0), s2.sum(axis=0)
    m0 = total0 - count
    m1 = total1[None] - s1
    m2 = total2[None] - s2
    mean_c = m1 / m0[:, None]
    cov = (m2 - m0[:, None, None] * mean_c[:, :, None] * mean_c[:, None, :]) / (m0 - 1)[
        :, None, None
    ]
    return _to_corr(mean_c + centre, cov)


def bootstrap(
    data: pd.DataFrame,
    model: PathModel,
    *,
    samples: int = 1000,
    seed: int = 0,
    scheme: Scheme = "path",
    sample_weights: np.ndarray | pd.Series | None = None,
    scales: Mapping[str, tuple[float, float]] | None = None,
    confidence: float = 0.95,
    bca: bool = True,
    max_iter: int = 300,
    tol: float = 1e-10,
    batch: int | None = None,
) -> BootstrapResult:
    if scheme not in SCHEMES:
        raise PLSError(f"unknown weighting scheme {scheme!r}", zh=f"未知的内部权重方案 {scheme!r}")
    if samples < 10:
        raise PLSError(
            f"{samples} bootstrap samples are too few (use 500 or more; 10 at the least)",
            zh=f"自助抽样次数 {samples} 太少（建议 500 次以上，至少 10 次）",
        )
    if seed < 0:
        raise PLSError(
            f"the seed must not be negative ({seed})", zh=f"随机种子不能为负数（{seed}）"
        )
    if not 0.5 < confidence < 1:
        raise PLSError(
            f"confidence level {confidence} must lie between 0.5 and 1",
            zh=f"置信水平 {confidence} 必须在 0.5 和 1 之间",
        )
    x = numeric_items(data, model)
    n = x.shape[0]
    check_cases(n, model)
    w = _sample_weights(sample_weights, n)
    layout = Layout.of(model)
    low = high = None
    if scales is not None:
        unscaled = [item for item in layout.items if item not in scales]
        if unscaled:
            raise PLSError(
                f"no scale declared for {', '.join(unscaled)}",
                zh=f"以下题项没有声明量表：{'、'.join(unscaled)}",
            )
        low = np.array([scales[i][0] for i in layout.items], dtype=float)
        high = np.array([scales[i][1] for i in layout.items], dtype=float)
    space = ParameterSpace(layout, scheme, low, high, max_iter, tol)
    mean, sd, corr = correlation_moments(x, w)
    constant = [item for item, s in zip(model.items, sd, strict=True) if not s > 0]
    if constant:
        raise PLSError(
            f"items without variance cannot be used: {', '.join(map(str, constant))}",
            zh=f"这些题项的回答全都相同（方差为零），无法使用：{'、'.join(map(str, constant))}",
        )
    original, ok = space.evaluate(mean[None], sd[None], corr[None])
    if not ok[0]:
        raise PLSError(
            "the model does not converge on the full data",
            zh="模型在全部数据上不收敛",
        )
    original = original[0]

    rng = np.random.default_rng(seed)
    p = x.shape[1]
    patterns = answer_patterns(x) if w is None else None
    draws = []
    if patterns is not None:
        unique, counts = patterns
        centre = x.mean(axis=0)
        centred = unique - centre
        products = (centred[:, :, None] * centred[:, None, :]).reshape(unique.shape[0], p * p)
        shares = counts / n
        batch = batch or max(1, min(samples, int(2e7 // unique.shape[0])))
        for start in range(0, samples, batch):
            size = min(batch, samples - start)
            drawn = rng.multinomial(n, shares, size=size)
            values, converged = space.evaluate(*pattern_moments(unique, products, centre, drawn))
            draws.append(values[converged])
    else:
        batch = batch or max(1, min(samples, int(4e7 // (n * p))))
        for start in range(0, samples, batch):
            size = min(batch, samples - start)
            rows = rng.integers(0, n, size=(size, n))
            values, converged = space.evaluate(*resample_moments(x, rows, w))
            draws.append(values[converged])
    draw = np.concatenate(draws)
    failed = samples - draw.shape[0]
    if draw.shape[0] < max(10, samples // 2):
        raise PLSError(
            f"only {draw.shape[0]} of {samples} resamples converged; the model is unstable",
            zh=f"{samples} 次自助抽样中只有 {draw.shape[0]} 次收敛：模型不稳定",
        )

    alpha = 1 - confidence
    se = draw.std(axis=0, ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = original / se
    fixed = se < 1e-12  # a single item's weight and loading are 1 in every resample
    t[fixed] = np.nan
    p_value = 2 * stats.t.sf(np.abs(t), df=n - 1)
    p_value[fixed] = np.nan
    low_pct, high_pct = np.quantile(draw, [alpha / 2, 1 - alpha / 2], axis=0)
    columns: dict[str, np.ndarray] = {
        "original": original,
        "mean": draw.mean(axis=0),
        "se": se,
        "t": t,
        "p": p_value,
        "ci_low": low_pct,
        "ci_high": high_pct,
    }
    if bca:
        groups = _jackknife_groups(n, rng)
        jack, jack_ok = space.evaluate(*jackknife_moments(x, groups, w))
        columns["bca_low"], columns["bca_high"] = _bca(draw, original, jack[jack_ok], alpha)
    table = pd.DataFrame(
        columns, index=pd.MultiIndex.from_tuples(space.names, names=["kind", "name"])
    )
    return BootstrapResult(table, draw, samples, failed, seed, confidence, n)


def _jackknife_groups(n: int, rng: np.random.Generator) -> np.ndarray:
    if n <= JACKKNIFE_GROUPS:
        return np.arange(n)
    return rng.permutation(np.arange(n) % JACKKNIFE_GROUPS)


def _bca(
    draw: np.ndarray, original: np.ndarray, jack: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """Efron's bias-corrected and accelerated percentile interval, per parameter."""
    below = (draw < original).mean(axis=0) + 0.5 * (draw == original).mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        z0 = stats.norm.ppf(np.clip(below, 1e-10, 1 - 1e-10))
        centred = jack.mean(axis=0) - jack
        accel = (centred**3).sum(axis=0) / (6 * ((centred**2).sum(axis=0)) ** 1.5)
    accel = np.nan_to_num(accel)
    bounds = []
    for z_alpha in stats.norm.ppf([alpha / 2, 1 - alpha / 2]):
        adjusted = stats.norm.cdf(z0 + (z0 + z_alpha) / (1 - accel * (z0 + z_alpha)))
        bounds.append(
            np.array(
                [
                    np.quantile(draw[:, k], q) if np.isfinite(q) else np.nan
                    for k, q in enumerate(adjusted)
                ]
            )
        )
    return bounds[0], bounds[1]
