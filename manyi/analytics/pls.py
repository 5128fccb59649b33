"""PLS path modelling (Wold's and Lohmöller's algorithm), no Django.

    model = PathModel(blocks={"Image": ["IMAG1", ...], ...},
                      paths=[("Image", "Satisfaction"), ...])
    result = fit(survey_frame, model, scheme="path")
    result.paths          # DataFrame: rows = predictors, columns = endogenous constructs
    result.outer_weights  # Series indexed by (construct, item)
    result.to_dict()      # everything, JSON-ready

Items are standardised (mean 0, sample standard deviation 1); construct scores have unit
sample variance. Reflective blocks use Mode A (weights = covariances with the inner
estimate), formative blocks Mode B (weights = multiple regression on the inner estimate).
The inner weighting scheme is "path", "centroid" or "factorial".

The iteration runs on the items' correlation matrix, not on the raw data: every step of
the algorithm is a function of it, so one pass over the respondents is all a fit costs,
whatever the number of iterations, and the bootstrap can estimate a whole stack of
resamples at once (`estimate` takes a batch of correlation matrices).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

Scheme = Literal["path", "centroid", "factorial"]
Mode = Literal["A", "B"]
SCHEMES = ("path", "centroid", "factorial")
MIN_CASES = 10


class PLSError(ValueError):
    """A model or data problem the analyst must fix; the message says what and where.

    `zh` is the same message in Chinese, for the web app and Chinese reports."""

    def __init__(self, message: str, *, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message

    def message(self, language: str = "en") -> str:
        return self.zh if language.lower().startswith("zh") else str(self)


class PLSConvergenceError(PLSError):
    pass


@dataclass(frozen=True)
class PathModel:
    blocks: Mapping[str, Sequence[str]]
    paths: Sequence[tuple[str, str]]
    modes: Mapping[str, Mode] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.blocks:
            raise PLSError("the model has no constructs", zh="模型中没有潜变量")
        seen: dict[str, str] = {}
        for construct, items in self.blocks.items():
            if not items:
                raise PLSError(
                    f"construct {construct!r} has no items", zh=f"潜变量“{construct}”没有题项"
                )
            for item in items:
                if item in seen:
                    raise PLSError(
                        f"item {item!r} is in both {seen[item]!r} and {construct!r}",
                        zh=f"题项“{item}”同时属于“{seen[item]}”和“{construct}”",
                    )
                seen[item] = construct
        for path in self.paths:
            if len(path) != 2:
                raise PLSError(
                    f"a path needs a source and a target, not {list(path)!r}",
                    zh=f"路径必须有起点和终点：{list(path)!r}",
                )
            source, target = path
            for end in (source, target):
                if end not in self.blocks:
                    raise PLSError(
                        f"path {source!r} -> {target!r}: no construct {end!r}",
                        zh=f"路径 {source} → {target}：没有名为“{end}”的潜变量",
                    )
            if source == target:
                raise PLSError(
                    f"path {source!r} -> {target!r} points at itself",
                    zh=f"路径 {source} → {target} 指向自身",
                )
        for construct, mode in self.modes.items():
            if construct not in self.blocks or mode not in ("A", "B"):
                raise PLSError(
                    f"mode {mode!r} for {construct!r} is not valid (use 'A' or 'B')",
                    zh=f"潜变量“{construct}”的模式 {mode!r} 无效（应为 A 或 B）",
                )
        self._check_acyclic()

    @property
    def constructs(self) -> list[str]:
        return list(self.blocks)

    @property
    def items(self) -> list[str]:
        return [item for items in self.blocks.values() for item in items]

    def mode(self, construct: str) -> Mode:
        return self.modes.get(construct, "A")

    def predecessors(self, construct: str) -> list[str]:
        return [s for s, t in self.paths if t == construct]

    def endogenous(self) -> list[str]:
        return [c for c in self.constructs if self.predecessors(c)]

    def construct_of(self, item: str) -> str:
        for construct, items in self.blocks.items():
            if item in items:
                return construct
        raise KeyError(item)

    def _check_acyclic(self) -> None:
        remaining = {c: set(self.predecessors(c)) for c in self.blocks}
        while remaining:
            free = [c for c, preds in remaining.items() if not preds & remaining.keys()]
            if not free:
                raise PLSError(
                    f"the paths form a cycle among {sorted(remaining)}",
                    zh=f"路径形成了循环：{'、'.join(sorted(remaining))}",
                )
            for c in free:
                del remaining[c]


@dataclass(frozen=True)
class Layout:
    """The model as index arrays over the item columns, for the numerical core."""

    constructs: tuple[str, ...]
    items: tuple[str, ...]
    blocks: tuple[np.ndarray, ...]
    formative: tuple[bool, ...]
    adjacency: np.ndarray  # adjacency[source, target] = 1

    @classmethod
    def of(cls, model: PathModel) -> Layout:
        """The layout of a model, computed once per model object (models are immutable)."""
        cached = model.__dict__.get("_layout")
        if cached is None:
            cached = cls._build(model)
            object.__setattr__(model, "_layout", cached)
        return cached

    @classmethod
    def _build(cls, model: PathModel) -> Layout:
        items = model.items
        column = {item: i for i, item in enumerate(items)}
        constructs = model.constructs
        index = {c: i for i, c in enumerate(constructs)}
        adjacency = np.zeros((len(constructs), len(constructs)))
        for source, target in model.paths:
            adjacency[index[source], index[target]] = 1
        return cls(
            constructs=tuple(constructs),
            items=tuple(items),
            blocks=tuple(np.array([column[i] for i in model.blocks[c]]) for c in constructs),
            formative=tuple(model.mode(c) == "B" for c in constructs),
            adjacency=adjacency,
        )

    def predecessors(self, j: int) -> np.ndarray:
        return self._predecessors[j]

    @cached_property
    def _predecessors(self) -> tuple[np.ndarray, ...]:
        return tuple(np.flatnonzero(self.adjacency[:, j]) for j in range(len(self.constructs)))

    @cached_property
    def construct_index(self) -> pd.Index:
        return pd.Index(self.constructs)

    @cached_property
    def item_index(self) -> pd.Index:
        return pd.Index(self.items)

    @cached_property
    def endogenous(self) -> np.ndarray:
        return np.array([j for j, p in enumerate(self._predecessors) if p.size], dtype=int)

    @cached_property
    def pair_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """Row (item) and column (construct) of each (construct, item) pair."""
        rows = np.concatenate(self.blocks)
        own = np.concatenate([np.full(cols.size, j) for j, cols in enumerate(self.blocks)])
        return rows, own

    @cached_property
    def pairs(self) -> pd.MultiIndex:
        """(construct, item) for every item, in block order."""
        tuples = [
            (c, self.items[i])
            for c, cols in zip(self.constructs, self.blocks, strict=True)
            for i in cols
        ]
        return pd.MultiIndex.from_tuples(tuples, names=["construct", "item"])

    @cached_property
    def owner(self) -> np.ndarray:
        """owner[i]: the construct of item column i."""
        owner = np.empty(len(self.items), dtype=int)
        for j, cols in enumerate(self.blocks):
            owner[cols] = j
        return owner


@dataclass
class Estimate:
    """A batch of estimates: B resamples (B = 1 for a plain fit)."""

    weights: np.ndarray  # (B, p, K): outer weights of standardised items, block-diagonal
    score_corr: np.ndarray  # (B, K, K)
    iterations: np.ndarray  # (B,)
    converged: np.ndarray  # (B,) bool

    def paths(self, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
        """Path coefficients (B, K, K) and R² (B, K; nan for exogenous constructs)."""
        batch, k = self.score_corr.shape[0], len(layout.constructs)
        beta = np.zeros((batch, k, k))
        r2 = np.full((batch, k), np.nan)
        c = self.score_corr
        for j in range(k):
            preds = layout.predecessors(j)
            if preds.size:
                coef = _solve(c[:, preds][:, :, preds], c[:, preds, j])
                beta[:, preds, j] = coef
                r2[:, j] = np.einsum("bi,bi->b", coef, c[:, preds, j])
        return beta, r2


def correlation_moments(
    x: np.ndarray, sample_weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means, standard deviations and the correlation matrix of the columns of x.

    Sample weights are scaled to sum to n, so the standard deviations keep their usual
    meaning; the correlations do not depend on that scale."""
    n = x.shape[0]
    if sample_weights is None:
        mean = x.mean(axis=0)
        centred = x - mean
        cov = centred.T @ centred / (n - 1)
    else:
        w = np.asarray(sample_weights, dtype=float)
        w = w * (n / w.sum())
        mean = w @ x / n
        centred = x - mean
        cov = (centred.T * w) @ centred / (n - 1)
    sd = np.sqrt(np.diag(cov))
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cov / np.outer(sd, sd)
    return mean, sd, corr


def estimate(
    corr: np.ndarray,
    layout: Layout,
    *,
    scheme: Scheme = "path",
    max_iter: int = 300,
    tol: float = 1e-10,
) -> Estimate:
    """Run the PLS iteration on a batch of item correlation matrices (B, p, p)."""
    corr = np.asarray(corr, dtype=float)
    if corr.ndim == 2:
        corr = corr[None]
    batch, p = corr.shape[0], corr.shape[1]
    k = len(layout.constructs)
    block_corr = [corr[:, cols][:, :, cols] for cols in layout.blocks]
    weights = np.zeros((batch, p, k))
    for j, cols in enumerate(layout.blocks):
        weights[:, cols, j] = _normalise(np.ones((batch, cols.size)), block_corr[j])
    iterations = np.zeros(batch, dtype=int)
    converged = np.zeros(batch, dtype=bool)
    connected = (layout.adjacency + layout.adjacency.T) > 0
    for iteration in range(1, max_iter + 1):
        score_corr = np.swapaxes(weights, 1, 2) @ corr @ weights
        inner = _inner_weights(score_corr, layout, connected, scheme)
        covariance = corr @ weights @ inner  # items with the inner estimates
        updated = np.zeros_like(weights)
        for j, cols in enumerate(layout.blocks):
            raw = covariance[:, cols, j]
            if layout.formative[j]:
                raw = _solve(block_corr[j], raw)
            updated[:, cols, j] = _normalise(raw, block_corr[j])
        change = np.abs(updated - weights).max(axis=(1, 2))
        weights = updated
        settled = (change < tol) & ~converged
        iterations[settled] = iteration
        converged |= settled
        if converged.all():
            break
    iterations[~converged] = max_iter
    score_corr = np.swapaxes(weights, 1, 2) @ corr @ weights
    return Estimate(weights, score_corr, iterations, converged)


def _normalise(raw: np.ndarray, block_corr: np.ndarray) -> np.ndarray:
    """Scale weights so the construct score has unit variance."""
    variance = np.einsum("bi,bij,bj->b", raw, block_corr, raw)
    with np.errstate(invalid="ignore", divide="ignore"):
        return raw / np.sqrt(variance)[:, None]


def _solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched a x = b; singular systems (collinear predictors) give nan, not an exception."""
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for i in range(a.shape[0]):
            with contextlib.suppress(np.linalg.LinAlgError):
                out[i] = np.linalg.solve(a[i], b[i])
        return out


def _inner_weights(
    score_corr: np.ndarray, layout: Layout, connected: np.ndarray, scheme: Scheme
) -> np.ndarray:
    """e[b, i, j]: how construct i's score enters construct j's inner estimate."""
    if scheme == "centroid":
        return np.where(connected, np.sign(score_corr), 0.0)
    if scheme == "factorial":
        return np.where(connected, score_corr, 0.0)
    e = np.where(layout.adjacency.T > 0, score_corr, 0.0)  # successors: their correlation
    for j in range(len(layout.constructs)):
        preds = layout.predecessors(j)
        if preds.size:  # predecessors: the coefficients of j regressed on them
            e[:, preds, j] = _solve(score_corr[:, preds][:, :, preds], score_corr[:, preds, j])
    return e


def total_effects(paths: pd.DataFrame) -> pd.DataFrame:
    """Direct plus all indirect effects: B + B² + B³ ... for a recursive model."""
    total = _total(paths.to_numpy()[None])[0]
    return pd.DataFrame(total, index=paths.index, columns=paths.columns)


def _total(direct: np.ndarray) -> np.ndarray:
    """Batched total effects (B, K, K); the series ends after K terms in a recursive model."""
    total = np.zeros_like(direct)
    power = direct.copy()
    for _ in range(direct.shape[-1]):
        total += power
        power = power @ direct
    return total


@dataclass
class PLSResult:
    model: PathModel
    scheme: Scheme
    outer_weights: pd.Series
    loadings: pd.Series
    cross_loadings: pd.DataFrame
    scores: pd.DataFrame
    paths: pd.DataFrame
    r2: pd.Series
    r2_adjusted: pd.Series
    iterations: int
    n: int
    item_mean: pd.Series
    item_sd: pd.Series
    item_correlations: pd.DataFrame
    construct_correlations: pd.DataFrame
    weighted: bool = False
    warnings: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        table = self.paths.where(self.paths != 0).stack().round(4)
        return (
            f"PLSResult(n={self.n}, scheme={self.scheme!r}, iterations={self.iterations})\n"
            f"paths:\n{table.to_string()}\nR²:\n{self.r2.round(4).to_string()}\n"
            f"GoF: {self.gof:.4f}"
        )

    @property
    def total_effects(self) -> pd.DataFrame:
        return total_effects(self.paths)

    @property
    def indirect_effects(self) -> pd.DataFrame:
        return self.total_effects - self.paths

    def effects(self) -> pd.DataFrame:
        """One row per pair with a non-zero total effect: direct, indirect and total."""
        total = self.total_effects
        rows = [
            {
                "source": source,
                "target": target,
                "direct": float(self.paths.loc[source, target]),
                "indirect": float(total.loc[source, target] - self.paths.loc[source, target]),
                "total": float(total.loc[source, target]),
            }
            for source in total.index
            for target in total.columns
            if abs(total.loc[source, target]) > 1e-15
        ]
        return pd.DataFrame(rows, columns=["source", "target", "direct", "indirect", "total"])

    @cached_property
    def f2(self) -> pd.DataFrame:
        """Cohen's f² of each path: (R² included - R² excluded) / (1 - R² included), with
        R² excluded from re-estimating the model without the path (and without a construct
        the removal leaves on no path), as Hair et al. prescribe and seminr computes."""
        corr = self.item_correlations
        table = pd.DataFrame(np.nan, index=self.paths.index, columns=self.paths.columns)
        for target in self.model.endogenous():
            full = self.r2[target]
            for pred in self.model.predecessors(target):
                paths = [p for p in self.model.paths if tuple(p) != (pred, target)]
                linked = {c for path in paths for c in path}
                reduced = 0.0
                if target in linked and any(t == target for _, t in paths):
                    model = PathModel(
                        blocks={c: items for c, items in self.model.blocks.items() if c in linked},
                        paths=paths,
                        modes={c: m for c, m in self.model.modes.items() if c in linked},
                    )
                    items = model.items
                    layout = Layout.of(model)
                    refit = estimate(corr.loc[items, items].to_numpy(), layout, scheme=self.scheme)
                    _, r2 = refit.paths(layout)
                    reduced = float(r2[0, layout.constructs.index(target)])
                table.loc[pred, target] = (full - reduced) / (1 - full)
        return table

    @property
    def f2_same_scores(self) -> pd.DataFrame:
        """f² without re-estimation: R² excluded from the full model's construct scores
        (what some programs report; differs from `f2` in the third decimal or so)."""
        corr = self.construct_correlations
        table = pd.DataFrame(np.nan, index=self.paths.index, columns=self.paths.columns)
        for target in self.model.endogenous():
            preds = self.model.predecessors(target)
            full = self.r2[target]
            for pred in preds:
                others = [p for p in preds if p != pred]
                reduced = _r2(corr, others, target) if others else 0.0
                table.loc[pred, target] = (full - reduced) / (1 - full)
        return table

    @property
    def inner_vif(self) -> pd.DataFrame:
        """Collinearity of the predictors of each endogenous construct."""
        corr = self.construct_correlations
        table = pd.DataFrame(np.nan, index=self.paths.index, columns=self.paths.columns)
        for target in self.model.endogenous():
            preds = self.model.predecessors(target)
            table.loc[preds, target] = _vif(corr.loc[preds, preds].to_numpy())
        return table

    @property
    def outer_vif(self) -> pd.Series:
        """Collinearity of the items of each block (decisive for formative blocks)."""
        values = []
        for _construct, items in self.model.blocks.items():
            block = self.item_correlations.loc[list(items), list(items)].to_numpy()
            values.extend(_vif(block))
        return pd.Series(values, index=self.outer_weights.index, name="VIF")

    @property
    def gof(self) -> float:
        """Tenenhaus's goodness of fit: sqrt(mean communality x mean R²); communalities
        of the items in reflective blocks with more than one item."""
        communal = [
            float(self.loadings.loc[(construct, item)] ** 2)
            for construct, items in self.model.blocks.items()
            if self.model.mode(construct) == "A" and len(items) > 1
            for item in items
        ]
        if not communal or self.r2.empty:
            return float("nan")
        return math.sqrt(float(np.mean(communal)) * float(self.r2.mean()))

    @property
    def unstandardised_weights(self) -> pd.Series:
        """Weights for items in their own units: score = sum(weight x (item - mean))."""
        sd = self.item_sd.reindex(self.outer_weights.index.get_level_values("item")).to_numpy()
        return (self.outer_weights / sd).rename("unstandardised weight")

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every table of the result, for Excel reports and notebooks."""
        return {
            "paths": self.effects(),
            "r2": pd.DataFrame({"r2": self.r2, "r2_adjusted": self.r2_adjusted}),
            "outer": pd.DataFrame(
                {
                    "weight": self.outer_weights,
                    "loading": self.loadings,
                    "unstandardised_weight": self.unstandardised_weights,
                    "vif": self.outer_vif,
                }
            ).reset_index(),
            "cross_loadings": self.cross_loadings,
            "f2": self.f2,
            "inner_vif": self.inner_vif,
        }

    def to_dict(self) -> dict[str, Any]:
        def nested(series: pd.Series) -> dict[str, dict[str, float]]:
            out: dict[str, dict[str, float]] = {}
            for (construct, item), value in series.items():
                out.setdefault(construct, {})[item] = _num(value)
            return out

        def pairs(table: pd.DataFrame) -> dict[str, dict[str, float]]:
            return {
                source: {
                    target: _num(table.loc[source, target])
                    for target in table.columns
                    if pd.notna(table.loc[source, target]) and table.loc[source, target] != 0
                }
                for source in table.index
                if (table.loc[source].fillna(0) != 0).any()
            }

        return {
            "n_used": self.n,
            "scheme": self.scheme,
            "iterations": self.iterations,
            "paths": pairs(self.paths.where(self._edges())),
            "total_effects": pairs(self.total_effects),
            "indirect_effects": pairs(self.indirect_effects),
            "r2": {k: _num(v) for k, v in self.r2.items()},
            "r2_adjusted": {k: _num(v) for k, v in self.r2_adjusted.items()},
            "outer_weights": nested(self.outer_weights),
            "loadings": nested(self.loadings),
            "cross_loadings": {
                item: {c: _num(v) for c, v in row.items()}
                for item, row in self.cross_loadings.iterrows()
            },
            "f2": pairs(self.f2),
            "inner_vif": pairs(self.inner_vif),
            "outer_vif": nested(self.outer_vif),
            "gof": _num(self.gof),
            "warnings": list(self.warnings),
        }

    def _edges(self) -> pd.DataFrame:
        edges = pd.DataFrame(False, index=self.paths.index, columns=self.paths.columns)
        for source, target in self.model.paths:
            edges.loc[source, target] = True
        return edges


def json_number(value: Any) -> float | None:
    """A JSON-safe number: NaN, infinities (a perfect collinearity) and non-numbers become
    null."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


_num = json_number


def _r2(corr: pd.DataFrame, preds: list[str], target: str) -> float:
    rxx = corr.loc[preds, preds].to_numpy()
    rxy = corr.loc[preds, target].to_numpy()
    return float(rxy @ np.linalg.solve(rxx, rxy))


def _vif(corr: np.ndarray) -> np.ndarray:
    if corr.shape[0] == 1:
        return np.ones(1)
    try:
        return np.diag(np.linalg.inv(corr))
    except np.linalg.LinAlgError:
        return np.full(corr.shape[0], np.inf)


def numeric_items(data: pd.DataFrame, model: PathModel) -> np.ndarray:
    """The model's items as a float matrix; missing columns and values are refused."""
    missing = [item for item in model.items if item not in data.columns]
    if missing:
        raise PLSError(
            f"columns not in the data: {', '.join(map(str, missing))}",
            zh=f"数据中没有这些列：{'、'.join(map(str, missing))}",
        )
    x = np.empty((len(data), len(model.items)))
    for j, item in enumerate(model.items):  # column by column: no second copy of the frame
        column = data[item]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
            x[:, j] = column.to_numpy()
        else:  # text, objects and nullable extension types
            x[:, j] = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    bad_columns = np.isnan(x).any(axis=0)
    if bad_columns.any():
        bad = [item for item, b in zip(model.items, bad_columns, strict=True) if b]
        raise PLSError(
            f"missing or non-numeric values in {', '.join(map(str, bad))}; "
            "clean them or choose a missing-value treatment first",
            zh=f"这些题项有缺失或非数字的值：{'、'.join(map(str, bad))}；"
            "请先清理，或选择缺失值处理方式",
        )
    return x


def check_cases(n: int, model: PathModel) -> list[str]:
    """Refuse samples too small to estimate (and constructs no path reaches, which PLS
    cannot estimate); warn below the ten-times rule."""
    layout = Layout.of(model)
    linked = (layout.adjacency + layout.adjacency.T).sum(axis=0) > 0
    isolated = [c for c, ok in zip(layout.constructs, linked, strict=True) if not ok]
    if isolated:
        raise PLSError(
            f"construct {isolated[0]!r} is on no path; connect it or remove it",
            zh=f"潜变量“{isolated[0]}”不在任何路径上；请连接它或删除它",
        )
    largest = max(
        [layout.predecessors(j).size for j in range(len(layout.constructs))]
        + [cols.size for cols, b in zip(layout.blocks, layout.formative, strict=True) if b]
    )
    if n < MIN_CASES or n <= largest + 1:
        raise PLSError(
            f"{n} cases are too few to estimate this model "
            f"(at least {max(MIN_CASES, largest + 2)} are needed)",
            zh=f"只有 {n} 个有效个案，太少，无法估计该模型"
            f"（至少需要 {max(MIN_CASES, largest + 2)} 个）",
        )
    if n < 10 * largest:
        return [
            f"{n} cases are fewer than ten times the largest number of arrows pointing at "
            f"a construct ({largest}); estimates will be unstable / "
            f"有效个案 {n} 个，少于指向同一潜变量的最多箭头数（{largest}）的十倍，"
            "估计结果可能不稳定"
        ]
    return []


def fit(
    data: pd.DataFrame,
    model: PathModel,
    *,
    scheme: Scheme = "path",
    max_iter: int = 300,
    tol: float = 1e-10,
    sample_weights: Sequence[float] | np.ndarray | pd.Series | None = None,
) -> PLSResult:
    """Estimate the model; raises PLSError for unusable data, PLSConvergenceError when the
    weights do not settle within `max_iter` iterations."""
    if scheme not in SCHEMES:
        raise PLSError(
            f"unknown weighting scheme {scheme!r}",
            zh=f"未知的内部权重方案 {scheme!r}（应为 path、centroid 或 factorial）",
        )
    x = numeric_items(data, model)
    n = x.shape[0]
    warnings = check_cases(n, model)
    w = _sample_weights(sample_weights, n)
    mean, sd, corr = correlation_moments(x, w)
    constant = [item for item, s in zip(model.items, sd, strict=True) if not s > 0]
    if constant:
        raise PLSError(
            f"items without variance cannot be used: {', '.join(map(str, constant))}",
            zh=f"这些题项的回答全都相同（方差为零），无法使用：{'、'.join(map(str, constant))}",
        )
    layout = Layout.of(model)
    warnings += _collinear_items(corr, layout)
    result = estimate(corr, layout, scheme=scheme, max_iter=max_iter, tol=tol)
    if not result.converged[0]:
        raise PLSConvergenceError(
            f"the weights did not converge in {max_iter} iterations; "
            "check the model or allow more iterations",
            zh=f"权重在 {max_iter} 次迭代内没有收敛；请检查模型或增加最大迭代次数",
        )
    weights = result.weights[0]
    if not np.isfinite(weights).all():
        raise PLSError(
            "a construct's score has no variance; check its items",
            zh="某个潜变量得分的方差为零，请检查其题项",
        )
    constructs = layout.construct_index
    items = layout.item_index
    x -= mean  # in place: a million respondents need no second copy of the data
    x /= sd
    score_frame = pd.DataFrame(x @ weights, columns=constructs, index=data.index, copy=False)
    del x
    loading_matrix = corr @ weights  # items' correlations with every score
    rows, own = layout.pair_positions
    beta, r2 = result.paths(layout)
    endogenous = layout.endogenous
    r2_values = r2[0, endogenous]
    counts = np.array([layout.predecessors(j).size for j in endogenous])
    return PLSResult(
        model=model,
        scheme=scheme,
        outer_weights=pd.Series(weights[rows, own], index=layout.pairs, name="weight"),
        loadings=pd.Series(loading_matrix[rows, own], index=layout.pairs, name="loading"),
        cross_loadings=pd.DataFrame(loading_matrix, index=items, columns=constructs),
        scores=score_frame,
        paths=pd.DataFrame(beta[0], index=constructs, columns=constructs),
        r2=pd.Series(r2_values, index=constructs[endogenous], name="R²"),
        r2_adjusted=pd.Series(
            1 - (1 - r2_values) * (n - 1) / (n - counts - 1),
            index=constructs[endogenous],
            name="adjusted R²",
        ),
        iterations=int(result.iterations[0]),
        n=n,
        item_mean=pd.Series(mean, index=items, name="mean"),
        item_sd=pd.Series(sd, index=items, name="sd"),
        item_correlations=pd.DataFrame(corr, index=items, columns=items),
        construct_correlations=pd.DataFrame(
            result.score_corr[0], index=constructs, columns=constructs
        ),
        weighted=w is not None,
        warnings=warnings,
    )


def _collinear_items(corr: np.ndarray, layout: Layout) -> list[str]:
    """Items of one block that are (almost) the same question: refused in a formative block,
    where their weights cannot be told apart; a warning in a reflective one."""
    found = []
    for construct, cols, formative in zip(
        layout.constructs, layout.blocks, layout.formative, strict=True
    ):
        for a_pos, a in enumerate(cols):
            for b in cols[a_pos + 1 :]:
                if abs(corr[a, b]) > 1 - 1e-9:
                    pair = (layout.items[a], layout.items[b])
                    if formative:
                        raise PLSError(
                            f"items {pair[0]!r} and {pair[1]!r} of the formative block "
                            f"{construct!r} are perfectly correlated; drop one",
                            zh=f"形成型潜变量“{construct}”的题项“{pair[0]}”和“{pair[1]}”完全相关，"
                            "请删除其中一个",
                        )
                    found.append(
                        f"items {pair[0]} and {pair[1]} of {construct} are identical answers "
                        f"(correlation 1) / 潜变量“{construct}”的题项“{pair[0]}”和“{pair[1]}”"
                        "回答完全相同，可能是重复的列"
                    )
    return found


def _sample_weights(
    weights: Sequence[float] | np.ndarray | pd.Series | None, n: int
) -> np.ndarray | None:
    if weights is None:
        return None
    w = np.asarray(weights, dtype=float)
    if w.shape != (n,):
        raise PLSError(
            f"{w.size} sample weights for {n} cases", zh=f"样本权重有 {w.size} 个，个案有 {n} 个"
        )
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise PLSError(
            "sample weights must be non-negative numbers, not all zero",
            zh="样本权重必须是非负数，且不能全为零",
        )
    return w
