"""Fit a PLS path model with the `plspm` package, for bench/bench_pls.py to compare against.

Run with the peer environment's Python (bench/.peers/plspm, pinned by
plspm_requirements.txt), never the project's: plspm needs pandas 2 and its own stack, and
must not leak into Manyi's dependencies. Input is one JSON object on stdin:

    {"csv": "path/to/data.csv", "scheme": "path" | "centroid" | "factorial",
     "repeats": 20, "bootstrap": 1000, "processes": 2, "seed": 1,
     "blocks": {"Image": ["IMAG1", ...], ...}, "paths": [["Image", "Expectation"], ...]}

("bootstrap": 0 skips the bootstrap; "processes" and "seed" are optional.) Output is one
JSON object on stdout: version, fit_ms (median of `repeats` fits), bootstrap_ms,
bootstrap_samples, paths {"Source -> Target": coefficient}, outer_weights
{construct: {item: weight}}, and the extras described where they are computed.

What plspm 0.5.7 does differently, and how this script keeps the comparison fair:
- `Config(scaled=True)` centres every item but divides them all by ONE pooled standard
  deviation (`data.stack().std()`), so items are not standardised one by one. We therefore
  standardise each item here (sample standard deviation, as Manyi, SmartPLS and R plspm do)
  and pass `scaled=False` (centring only). The paths plspm gets with its own scaling on the
  raw data are reported too, as `paths_own_scaling`.
- Its construct scores have unit population variance (ddof 0), so its outer weights are
  sqrt(n / (n - 1)) times ours; `n` is reported so that the caller can convert.
- Its default scheme is CENTROID (Manyi's is "path"); the names are Scheme.PATH,
  Scheme.CENTROID and Scheme.FACTORIAL. Its default tolerance (1e-6 on the summed squared
  change of the weights) is kept: that is what its users get.
- The bootstrap silently drops resamples that fail, runs in `processes` forked processes
  and polls them once a second. `bootstrap_samples` counts the resamples it really kept and
  `bootstrap_distinct` how many of them differ (forked children inherit one random state).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from importlib.metadata import version
from typing import Any

import numpy as np
import pandas as pd
import plspm.bootstrap
import plspm.config as pconfig
from plspm.mode import Mode
from plspm.plspm import Plspm
from plspm.scheme import Scheme

SCHEMES = {"path": Scheme.PATH, "centroid": Scheme.CENTROID, "factorial": Scheme.FACTORIAL}


def make_config(
    blocks: dict[str, list[str]], paths: list[list[str]], *, scaled: bool
) -> pconfig.Config:
    structure = pconfig.Structure()
    for source, target in paths:
        structure.add_path([source], [target])
    config = pconfig.Config(structure.path(), scaled=scaled)  # path() works only once
    for construct, items in blocks.items():
        config.add_lv(construct, Mode.A, *(pconfig.MV(item) for item in items))
    return config


def path_table(model: Plspm, paths: list[list[str]]) -> dict[str, float]:
    """plspm's matrix has targets as rows and sources as columns."""
    table = model.path_coefficients()
    return {f"{s} -> {t}": float(table.loc[t, s]) for s, t in paths}


class BootstrapCounter:
    """Wraps plspm's summary helper to see the table of kept resamples it is given: the
    Bootstrap object itself keeps only means, errors and percentiles."""

    def __init__(self) -> None:
        self.kept: int | None = None
        self.distinct: int | None = None
        self._original = plspm.bootstrap._create_summary

    def __call__(self, data: pd.DataFrame, original: Any) -> pd.DataFrame:
        if self.kept is None:  # the first call gets the outer weights of every resample
            self.kept = len(data)
            self.distinct = len(data.round(12).drop_duplicates())
        return self._original(data, original)


def main() -> None:
    spec = json.load(sys.stdin)
    blocks: dict[str, list[str]] = spec["blocks"]
    paths: list[list[str]] = spec["paths"]
    scheme = SCHEMES[spec["scheme"]]
    raw = pd.read_csv(spec["csv"])
    items = [item for block in blocks.values() for item in block]
    data = raw[items].astype(float)
    data = (data - data.mean()) / data.std(ddof=1)
    config = make_config(blocks, paths, scaled=False)

    samples = []
    for _ in range(max(1, int(spec.get("repeats", 20)))):
        start = time.perf_counter()
        model = Plspm(data, config, scheme)
        samples.append((time.perf_counter() - start) * 1000)
    weights = model.outer_model()["weight"]
    own = Plspm(raw, make_config(blocks, paths, scaled=True), scheme)

    result: dict[str, Any] = {
        "version": version("plspm"),
        "versions": {name: version(name) for name in ("numpy", "pandas", "statsmodels")},
        "n": len(data),
        "scheme": scheme.name,
        "fit_ms": statistics.median(samples),
        "fit_repeats": len(samples),
        "paths": path_table(model, paths),
        "outer_weights": {c: {i: float(weights[i]) for i in block} for c, block in blocks.items()},
        "paths_own_scaling": path_table(own, paths),
        "bootstrap_ms": None,
        "bootstrap_samples": 0,
    }
    resamples = int(spec.get("bootstrap", 1000))
    if resamples:
        processes = int(spec.get("processes", 2))
        counter = BootstrapCounter()
        plspm.bootstrap._create_summary = counter
        np.random.seed(int(spec.get("seed", 1)))  # plspm draws from numpy's global state
        start = time.perf_counter()
        Plspm(
            data,
            config,
            scheme,
            bootstrap=True,
            bootstrap_iterations=resamples,
            processes=processes,
        )
        result["bootstrap_ms"] = (time.perf_counter() - start) * 1000
        result["bootstrap_samples"] = counter.kept
        result["bootstrap_distinct"] = counter.distinct
        result["bootstrap_processes"] = processes
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
