"""Staffing plans: Erlang C and Erlang A for 50 branches x 96 quarter-hours (4,800 intervals).

Issue 7's target, measured here and never asserted: the whole plan well under 1 s. The
calls follow a two-peak working day (late morning and mid-afternoon, a trickle at night,
some quarter-hours empty), each branch at its own scale (peaks of 5 to 150 calls a
quarter-hour), with an AHT of 150-400 s per interval; 80% answered within 20 s, shrinkage
30%, occupancy at most 90%, and 4 minutes of mean patience for Erlang A. Pure numpy/scipy:
no database.
"""

from __future__ import annotations

import numpy as np

from bench.timing import median_ms
from manyi.analytics.staffing import plan

BRANCHES, INTERVALS = 50, 96
REPEAT = 30


def _day() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    hours = np.arange(INTERVALS) / 4
    profile = (
        np.exp(-(((hours - 11) / 2.5) ** 2)) + 0.8 * np.exp(-(((hours - 15) / 2.0) ** 2)) + 0.01
    )
    scale = rng.uniform(5, 150, (BRANCHES, 1))
    calls = rng.poisson(scale * profile).astype(float)
    aht = rng.uniform(150, 400, (BRANCHES, INTERVALS))
    return calls, aht


def run() -> list[dict]:
    calls, aht = _day()
    rows = []
    for label, patience in (("Erlang C", None), ("Erlang A, patience 240 s", 240.0)):

        def once(patience: float | None = patience):
            return plan(
                calls,
                interval=900,
                aht=aht,
                target=0.8,
                within=20,
                shrinkage=0.3,
                max_occupancy=0.9,
                patience=patience,
            )

        result = once()
        rows.append(
            {
                "benchmark": f"staffing plan {BRANCHES} x {INTERVALS} intervals: {label}",
                "median_ms": median_ms(once, repeat=REPEAT, warmup=3),
                "note": f"median of {REPEAT}; target under 1,000 ms",
                "raw_positions": int(result.raw.sum()),
                "busiest_interval": int(result.raw.max()),
            }
        )
    return rows
