"""PLS path modelling (Wold's and Lohmöller's algorithm), no Django.

    model = PathModel(blocks={"Image": ["IMAG1", ...], ...},
                      paths=[("Image", "Satisfaction"), ...])
    result = fit(survey_frame, model, scheme="path")
    result.paths          # DataFrame: rows = predictors, columns = endogenous constructs
    result.outer_weights  # Series indexed by (construct, item)

Items are standardised (mean 0, sample standard deviation 1); construct scores have unit
sample variance. Reflective blocks use Mode A (weights = covariances with the inner
estimate), formative blocks Mode B (weights = multiple regression on the inner estimate).
The inner weighting scheme is "path", "centroid" or "factorial".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

Scheme = Literal["path", "centroid", "factorial"]
Mode = Literal["A", "B"]


class PLSError(ValueError):
    """A model or data problem the analyst must fix; the message says what and where."""


class PLSConvergenceError(PLSError):
    pass


@dataclass(frozen=True)
class PathModel:
    blocks: Mapping[str, Sequence[str]]
    paths: Sequence[tuple[str, str]]
    modes: Mapping[str, Mode] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.blocks:
            raise PLSError("the model has no constructs")
        seen: dict[str, str] = {}
        for construct, items in self.blocks.items():
            if not items:
                raise PLSError(f"construct {construct!r} has no items")
            for item in items:
                if item in seen:
                    raise PLSError(f"item {item!r} is in both {seen[item]!r} and {construct!r}")
                seen[item] = construct
        for source, target in self.paths:
            for end in (source, target):
                if end not in self.blocks:
                    raise PLSError(f"path {source!r} -> {target!r}: no construct {end!r}")
            if source == target:
                raise PLSError(f"path {source!r} -> {target!r} points at itself")
        for construct, mode in self.modes.items():
            if construct not in self.blocks or mode not in ("A", "B"):
                raise PLSError(f"mode {mode!r} for {construct!r} is not valid (use 'A' or 'B')")
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

    def _check_acyclic(self) -> None:
        remaining = {c: set(self.predecessors(c)) for c in self.blocks}
        while remaining:
            free = [c for c, preds in remaining.items() if not preds & remaining.keys()]
            if not free:
                raise PLSError(f"the paths form a cycle among {sorted(remaining)}")
            for c in free:
                del remaining[c]


@dataclass
class PLSResult:
    model: PathModel
    scheme: Scheme
    outer_weights: pd.Series
    loadings: pd.Series
    scores: pd.DataFrame
    paths: pd.DataFrame
    r2: pd.Series
    r2_adjusted: pd.Series
    iterations: int
    n: int

    def __repr__(self) -> str:
        table = self.paths.where(self.paths != 0).stack().round(4)
        return (
            f"PLSResult(n={self.n}, scheme={self.scheme!r}, iterations={self.iterations})\n"
            f"paths:\n{table.to_string()}\nR²:\n{self.r2.round(4).to_string()}"
        )


def standardise(data: pd.DataFrame) -> pd.DataFrame:
    std = data.std(ddof=1)
    constant = std[std == 0].index.tolist()
    if constant:
        raise PLSError(f"items without variance cannot be used: {', '.join(constant)}")
    return (data - data.mean()) / std


def fit(
    data: pd.DataFrame,
    model: PathModel,
    *,
    scheme: Scheme = "path",
    max_iter: int = 300,
    tol: float = 1e-10,
) -> PLSResult:
    """Estimate the model; raises PLSError for unusable data, PLSConvergenceError when the
    weights do not settle within `max_iter` iterations."""
    if scheme not in ("path", "centroid", "factorial"):
        raise PLSError(f"unknown weighting scheme {scheme!r}")
    missing = [item for item in model.items if item not in data.columns]
    if missing:
        raise PLSError(f"columns not in the data: {', '.join(missing)}")
    frame = data[model.items].apply(pd.to_numeric, errors="coerce")
    if frame.isna().any().any():
        bad = frame.columns[frame.isna().any()].tolist()
        raise PLSError(
            f"missing or non-numeric values in {', '.join(bad)}; "
            "clean them or choose a missing-value treatment first"
        )
    n = len(frame)
    if n < 10 or n <= len(model.items) // 10:
        raise PLSError(f"{n} cases are too few to estimate this model")
    z = standardise(frame).to_numpy()
    constructs = model.constructs
    column = {item: i for i, item in enumerate(model.items)}
    block_cols = [np.array([column[item] for item in model.blocks[c]]) for c in constructs]
    index = {c: i for i, c in enumerate(constructs)}
    adjacency = np.zeros((len(constructs), len(constructs)))
    for source, target in model.paths:
        adjacency[index[source], index[target]] = 1
    connected = (adjacency + adjacency.T) > 0
    weights = [np.ones(len(cols)) for cols in block_cols]
    weights = [_unit_variance(z[:, cols], w) for cols, w in zip(block_cols, weights, strict=True)]
    for iteration in range(1, max_iter + 1):  # noqa: B007  (reported in the result)
        scores = np.column_stack(
            [z[:, cols] @ w for cols, w in zip(block_cols, weights, strict=True)]
        )
        inner = scores @ _inner_weights(scores, adjacency, connected, scheme)
        updated = []
        for j, cols in enumerate(block_cols):
            block = z[:, cols]
            if model.mode(constructs[j]) == "A":
                raw = block.T @ inner[:, j] / (n - 1)
            else:
                raw = np.linalg.lstsq(block, inner[:, j], rcond=None)[0]
            updated.append(_unit_variance(block, raw))
        change = max(
            float(np.max(np.abs(new - old))) for new, old in zip(updated, weights, strict=True)
        )
        weights = updated
        if change < tol:
            break
    else:
        raise PLSConvergenceError(
            f"the weights did not converge in {max_iter} iterations (last change "
            f"{change:.2e}); check the model or allow more iterations"
        )
    scores = np.column_stack([z[:, cols] @ w for cols, w in zip(block_cols, weights, strict=True)])
    score_frame = pd.DataFrame(scores, columns=constructs, index=data.index)
    pairs = [(c, item) for c in constructs for item in model.blocks[c]]
    outer = pd.Series(
        np.concatenate(weights),
        index=pd.MultiIndex.from_tuples(pairs, names=["construct", "item"]),
        name="weight",
    )
    loadings = pd.Series(
        [np.corrcoef(z[:, column[item]], scores[:, index[c]])[0, 1] for c, item in pairs],
        index=outer.index,
        name="loading",
    )
    path_table = pd.DataFrame(0.0, index=constructs, columns=constructs)
    r2 = {}
    r2_adjusted = {}
    for target in model.endogenous():
        preds = model.predecessors(target)
        x = scores[:, [index[p] for p in preds]]
        y = scores[:, index[target]]
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        path_table.loc[preds, target] = beta
        explained = float(1 - np.sum((y - x @ beta) ** 2) / np.sum((y - y.mean()) ** 2))
        r2[target] = explained
        r2_adjusted[target] = 1 - (1 - explained) * (n - 1) / (n - len(preds) - 1)
    return PLSResult(
        model=model,
        scheme=scheme,
        outer_weights=outer,
        loadings=loadings,
        scores=score_frame,
        paths=path_table,
        r2=pd.Series(r2, name="R²"),
        r2_adjusted=pd.Series(r2_adjusted, name="adjusted R²"),
        iterations=iteration,
        n=n,
    )


def _unit_variance(block: np.ndarray, weights: np.ndarray) -> np.ndarray:
    sd = float(np.std(block @ weights, ddof=1))
    if sd == 0:
        raise PLSError("a construct's score has no variance")
    return weights / sd


def _inner_weights(
    scores: np.ndarray, adjacency: np.ndarray, connected: np.ndarray, scheme: Scheme
) -> np.ndarray:
    """e[i, j]: how construct i's score enters construct j's inner estimate."""
    corr = np.corrcoef(scores, rowvar=False)
    if scheme == "centroid":
        return np.where(connected, np.sign(corr), 0.0)
    if scheme == "factorial":
        return np.where(connected, corr, 0.0)
    e = np.where(adjacency.T > 0, corr, 0.0)  # successors: their correlation
    for j in range(adjacency.shape[0]):
        preds = np.flatnonzero(adjacency[:, j])
        if preds.size:  # predecessors: the coefficients of j regressed on them
            e[preds, j] = np.linalg.lstsq(scores[:, preds], scores[:, j], rcond=None)[0]
    return e
