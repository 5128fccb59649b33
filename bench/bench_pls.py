"""PLS path modelling against the `plspm` package, same run, same data, same model.

Issue 5's targets, measured here and never asserted: the ECSI fit at least 50x faster than
plspm, 1000 bootstrap resamples at least 100x faster, and a fit on 1,000,000 respondents x
24 items in under 5 s and under 1 GB of peak memory.

plspm runs in its own environment, bench/.peers/plspm, built on first use from
bench/peers/plspm_requirements.txt (rebuilt when that file changes) with the project's uv,
and is driven by bench/peers/plspm_runner.py in a subprocess; read the runner's docstring
for what plspm does differently and how the comparison allows for it. The large fit runs in
a fresh subprocess too, so that its peak memory is its own. BENCH_PLS_RESPONDENTS and
BENCH_PLS_RESAMPLES change the size of the large fit and the number of resamples.
"""

from __future__ import annotations

import json
import math
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.peer_env import PeerUnavailable, run_peer
from bench.timing import median_ms
from manyi.analytics.pls import PathModel, fit

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "manyi" / "analytics" / "tests" / "data" / "ecsi_mobi.csv"

RESPONDENTS = int(os.environ.get("BENCH_PLS_RESPONDENTS", 1_000_000))
RESAMPLES = int(os.environ.get("BENCH_PLS_RESAMPLES", 1000))
FIT_REPEATS = 50
PEER_FIT_REPEATS = 20  # plspm needs about a quarter of a second per fit
PEER_PROCESSES = 2  # plspm's default; its bootstrap forks this many workers

BLOCKS = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
# The population of the simulated survey: the published ECSI estimates, rounded. Listed
# in causal order, which the simulation relies on.
POPULATION = {
    ("Image", "Expectation"): 0.50,
    ("Expectation", "Quality"): 0.56,
    ("Expectation", "Value"): 0.05,
    ("Quality", "Value"): 0.56,
    ("Image", "Satisfaction"): 0.18,
    ("Expectation", "Satisfaction"): 0.06,
    ("Quality", "Satisfaction"): 0.51,
    ("Value", "Satisfaction"): 0.19,
    ("Satisfaction", "Complaints"): 0.53,
    ("Image", "Loyalty"): 0.20,
    ("Satisfaction", "Loyalty"): 0.49,
    ("Complaints", "Loyalty"): 0.07,
}
ECSI = PathModel(blocks=BLOCKS, paths=list(POPULATION))
LOADING = 0.8  # every simulated item: 0.8 x its construct + noise, then rounded onto 1-10


def run() -> list[dict]:
    data = pd.read_csv(DATA)
    rows: list[dict] = []
    ours = fit(data, ECSI, scheme="path")
    ours_ms = median_ms(lambda: fit(data, ECSI, scheme="path"), repeat=FIT_REPEATS, warmup=5)
    ours_boot_ms, boot_note = _our_bootstrap(data)
    problem = ""
    try:
        peer: dict | None = _run_peer("path", PEER_FIT_REPEATS, RESAMPLES)
        centroid: dict | None = _run_peer("centroid", 5, 0)
    except PeerUnavailable as exc:
        peer = centroid = None
        problem = f"plspm not available: {exc}"
    label = f"plspm {peer['version']}" if peer else "plspm"
    shape = f"{len(data)} x {len(ECSI.items)}"

    rows.append(_row(f"PLS ECSI fit ({shape}, path): Manyi", ours_ms, f"median of {FIT_REPEATS}"))
    if peer:
        rows.append(
            _row(
                f"PLS ECSI fit ({shape}, path): {label}",
                peer["fit_ms"],
                f"median of {peer['fit_repeats']}; items standardised by the runner",
                versions=peer["versions"],
            )
        )
        rows.append(_ratio("PLS ECSI fit: speed-up over plspm", peer["fit_ms"], ours_ms, 50))
    else:
        rows.append(_row(f"PLS ECSI fit ({shape}, path): plspm", math.nan, problem))

    rows.append(_row(f"PLS ECSI {RESAMPLES} bootstraps: Manyi", ours_boot_ms, boot_note))
    if peer:
        kept, distinct = peer["bootstrap_samples"], peer.get("bootstrap_distinct")
        rows.append(
            _row(
                f"PLS ECSI {RESAMPLES} bootstraps: {label}",
                peer["bootstrap_ms"],
                f"one run, {peer['bootstrap_processes']} processes, includes one fit and "
                "plspm's 1 s polling",
                resamples_kept=kept,
                resamples_distinct=distinct,
            )
        )
        rows.append(
            _ratio(
                "PLS ECSI bootstraps: speed-up over plspm",
                peer["bootstrap_ms"],
                ours_boot_ms,
                100,
            )
        )
        rows.append(_agreement("path", ours, peer))
        if centroid:
            rows.append(_agreement("centroid", fit(data, ECSI, scheme="centroid"), centroid))
    rows.append(_large_fit())
    return rows


def _row(benchmark: str, ms: float | None, note: str, **extra: Any) -> dict:
    return {
        "benchmark": benchmark,
        "median_ms": math.nan if ms is None else ms,
        "note": note,
        **extra,
    }


def _ratio(benchmark: str, peer_ms: float, ours_ms: float, target: float) -> dict:
    """A speed-up row: no time of its own, hence NaN in the time column."""
    if math.isnan(ours_ms) or not peer_ms:
        return _row(benchmark, None, "not measured", target=f">= {target}x")
    speedup = peer_ms / ours_ms
    return _row(
        benchmark,
        None,
        "plspm time / Manyi time",
        speedup=round(speedup, 1),
        target=f">= {target}x",
        meets_target=speedup >= target,
    )


def _our_bootstrap(data: pd.DataFrame) -> tuple[float, str]:
    """Times Manyi's bootstrap if the module is there yet (it is written alongside)."""
    try:
        from manyi.analytics.bootstrap import bootstrap
    except ImportError as exc:
        return math.nan, f"bootstrap not available ({exc})"

    def call() -> object:
        return bootstrap(data, ECSI, samples=RESAMPLES, seed=1, scheme="path")

    try:
        return median_ms(call, repeat=3, warmup=1), "median of 3, seed 1"
    except Exception as exc:  # a module still being written may fail in many ways
        return math.nan, f"bootstrap failed: {type(exc).__name__}: {exc}"


def _agreement(scheme: str, ours: Any, peer: dict) -> dict:
    """Largest differences between Manyi's and plspm's estimates. plspm's scores have unit
    population variance, ours unit sample variance, so its weights are converted first."""
    n = peer["n"]
    to_sample = math.sqrt((n - 1) / n)
    paths = [abs(ours.paths.loc[s, t] - peer["paths"][f"{s} -> {t}"]) for s, t in ECSI.paths]
    own = [
        abs(ours.paths.loc[s, t] - peer["paths_own_scaling"][f"{s} -> {t}"]) for s, t in ECSI.paths
    ]
    raw, converted = [], []
    for construct, items in BLOCKS.items():
        for item in items:
            theirs = peer["outer_weights"][construct][item]
            ours_w = ours.outer_weights.loc[(construct, item)]
            raw.append(abs(ours_w - theirs))
            converted.append(abs(ours_w - theirs * to_sample))
    return _row(
        f"PLS ECSI ({scheme}): max |Manyi - plspm|",
        None,
        "plspm on per-item standardised data, weights x sqrt((n-1)/n); "
        "own_scaling = plspm's scaled=True on the raw data",
        paths=float(f"{max(paths):.3g}"),
        weights=float(f"{max(converted):.3g}"),
        weights_unconverted=float(f"{max(raw):.3g}"),
        paths_own_scaling=float(f"{max(own):.3g}"),
    )


# --- the plspm peer ---------------------------------------------------------------------


def _run_peer(scheme: str, repeats: int, resamples: int) -> dict:
    spec = {
        "csv": str(DATA),
        "scheme": scheme,
        "repeats": repeats,
        "bootstrap": resamples,
        "processes": PEER_PROCESSES,
        "seed": 1,
        "blocks": BLOCKS,
        "paths": [list(path) for path in ECSI.paths],
    }
    return run_peer("plspm", spec)


# --- 1,000,000 respondents --------------------------------------------------------------


def _large_fit() -> dict:
    """Runs the large fit in a fresh interpreter, whose peak memory is then the fit's."""
    name = f"PLS fit {RESPONDENTS:,} x {len(ECSI.items)} (path, simulated ECSI)"
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_pls", "large", str(RESPONDENTS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        return _row(name, None, f"failed: {done.stderr.strip()[-500:]}")
    child = json.loads(done.stdout.strip().splitlines()[-1])
    return _row(
        name,
        child["fit_ms"],
        f"median of {child['repeats']} in a fresh process; int64 items 1-10; "
        "peak = the child's own peak RSS (VmHWM) after its first fit, fit_increase = that "
        "minus its RSS just before; ru_maxrss also holds the parent's peak (Linux)",
        peak_rss_mb=child["peak_rss_mb"],
        peak_after_data_mb=child["peak_after_data_mb"],
        fit_increase_mb=child["fit_increase_mb"],
        maxrss_increase_mb=child["maxrss_increase_mb"],
        ru_maxrss_mb=child["ru_maxrss_mb"],
        data_mb=child["data_mb"],
        generate_ms=round(child["generate_ms"]),
        target="< 5000 ms, < 1024 MB peak",
    )


def simulate(n: int, seed: int = 7) -> pd.DataFrame:
    """Survey answers from the ECSI population model: unit-variance constructs, every item
    LOADING x its construct plus noise, rounded onto a 1-10 scale."""
    rng = np.random.default_rng(seed)
    constructs = ECSI.constructs
    index = {c: i for i, c in enumerate(constructs)}
    cov = np.eye(len(constructs))
    scores = np.empty((n, len(constructs)))
    for c in _causal_order():
        j = index[c]
        preds = [index[p] for p in ECSI.predecessors(c)]
        beta = np.array([POPULATION[(constructs[p], c)] for p in preds])
        explained = float(beta @ cov[np.ix_(preds, preds)] @ beta) if preds else 0.0
        scores[:, j] = rng.standard_normal(n) * math.sqrt(1 - explained)
        if preds:
            scores[:, j] += scores[:, preds] @ beta
            cov[j, :] = cov[:, j] = beta @ cov[preds, :]
            cov[j, j] = 1.0
    noise = math.sqrt(1 - LOADING**2)
    answers = np.empty((n, len(ECSI.items)), dtype=np.int64)  # one block: no copy below
    columns = [(index[c], item) for c, items in BLOCKS.items() for item in items]
    for k, (j, _item) in enumerate(columns):
        x = LOADING * scores[:, j] + noise * rng.standard_normal(n)
        answers[:, k] = np.clip(np.rint(5.5 + 2 * x), 1, 10)
    return pd.DataFrame(answers, columns=[item for _j, item in columns], copy=False)


def _causal_order() -> list[str]:
    order: list[str] = []
    while len(order) < len(ECSI.constructs):
        for c in ECSI.constructs:
            if c not in order and all(p in order for p in ECSI.predecessors(c)):
                order.append(c)
    return order


def _mb(kib: float) -> float:
    return round(kib / 1024, 1)


def _maxrss_kib() -> float:
    """ru_maxrss in KiB (macOS counts bytes). On Linux a child started by a big process
    inherits that process's peak here, so the figures below use VmHWM where there is one."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform == "darwin" else peak


def _status_kib(field: str) -> float | None:
    """VmHWM (this process's own peak RSS) or VmRSS (its RSS now) from /proc, in KiB."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return None


def _peak_kib() -> float:
    return _status_kib("VmHWM") or _maxrss_kib()


def _large_child(n: int) -> dict:
    """The large fit itself, in the child process: memory before and after each step."""
    start = time.perf_counter()
    data = simulate(n)
    generate_ms = (time.perf_counter() - start) * 1000
    peak_after_data = _peak_kib()
    rss_before_fit = _status_kib("VmRSS") or peak_after_data
    times = []
    for _ in range(3):
        start = time.perf_counter()
        fit(data, ECSI, scheme="path")
        times.append((time.perf_counter() - start) * 1000)
        if len(times) == 1:
            peak_after_fit, maxrss_after_fit = _peak_kib(), _maxrss_kib()
    return {
        "fit_ms": statistics.median(times),
        "repeats": len(times),
        "generate_ms": generate_ms,
        "data_mb": round(data.memory_usage(deep=True).sum() / 2**20, 1),
        "peak_rss_mb": _mb(peak_after_fit),
        "peak_after_data_mb": _mb(peak_after_data),
        "maxrss_increase_mb": _mb(peak_after_fit - peak_after_data),
        "fit_increase_mb": _mb(peak_after_fit - rss_before_fit),
        "ru_maxrss_mb": _mb(maxrss_after_fit),
    }


if __name__ == "__main__" and sys.argv[1:2] == ["large"]:
    print(json.dumps(_large_child(int(sys.argv[2]))))
