"""Survey answers drawn from a known population model (no Django).

For tests that must recover known paths, for benchmarks at a million respondents and for
the demo's bank survey. Constructs are standard normal scores built in causal order
(each endogenous score = its paths times its causes + noise, with unit variance);
items are loading x score + noise, mapped onto the item's declared scale and rounded, as
real answers are. Reverse-coded items are written reversed, don't-know codes and blanks
are sprinkled in at the requested rates.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .modelfile import IndexModel
from .pls import PathModel


def causal_order(model: PathModel) -> list[str]:
    done: list[str] = []
    remaining = list(model.constructs)
    while remaining:
        for construct in remaining:
            if all(p in done for p in model.predecessors(construct)):
                done.append(construct)
                remaining.remove(construct)
                break
    return done


def latent_scores(
    model: PathModel,
    n: int,
    rng: np.random.Generator,
    paths: Mapping[tuple[str, str], float] | None = None,
    default_path: float = 0.4,
) -> pd.DataFrame:
    scores: dict[str, np.ndarray] = {}
    for construct in causal_order(model):
        preds = model.predecessors(construct)
        if not preds:
            scores[construct] = rng.standard_normal(n)
            continue
        systematic = sum((paths or {}).get((p, construct), default_path) * scores[p] for p in preds)
        explained = float(np.var(systematic))
        if explained >= 0.95:
            systematic = systematic * np.sqrt(0.95 / explained)
            explained = 0.95
        scores[construct] = systematic + np.sqrt(1 - explained) * rng.standard_normal(n)
    return pd.DataFrame(scores)


def simulate_survey(
    model: IndexModel,
    n: int,
    *,
    seed: int = 0,
    paths: Mapping[tuple[str, str], float] | None = None,
    loading: float = 0.85,
    level: float = 0.7,
    item_levels: Mapping[str, float] | None = None,
    shift: Mapping[str, float] | None = None,
    dont_know_rate: float = 0.0,
    missing_rate: float = 0.0,
    integer: bool = True,
) -> pd.DataFrame:
    """`level`: where the average answer lies on each scale (0 = bottom, 1 = top), per item
    in `item_levels`;
    `shift`: construct -> shift of its mean in standard deviations (for group differences)."""
    rng = np.random.default_rng(seed)
    latent = latent_scores(model.path_model, n, rng, paths)
    for construct, delta in (shift or {}).items():
        latent[construct] += delta
    columns: dict[str, np.ndarray | pd.Series] = {}
    noise_sd = np.sqrt(1 - loading**2)
    for construct, items in model.path_model.blocks.items():
        for item in items:
            spec = model.items.get(item)
            low, high = spec.scale if spec and spec.scale else (1.0, 10.0)
            z = loading * latent[construct].to_numpy() + noise_sd * rng.standard_normal(n)
            centre = (item_levels or {}).get(item, level)
            values = low + (high - low) * centre + z * (high - low) / 5
            values = np.clip(values, low, high)
            if integer:
                values = np.round(values)
            if spec and spec.reverse:
                values = low + high - values
            column: pd.Series | np.ndarray = values
            if dont_know_rate or missing_rate:
                series = pd.Series(values, dtype=object)
                draw = rng.random(n)
                codes = spec.dont_know if spec else ()
                if codes and dont_know_rate:
                    series[draw < dont_know_rate] = codes[0]
                if missing_rate:
                    series[(draw >= dont_know_rate) & (draw < dont_know_rate + missing_rate)] = None
                column = series
            columns[item] = column
    return pd.DataFrame(columns)
