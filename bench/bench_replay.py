"""Branch queues: replaying a day of 5,000 tickets (issue 7's target: under 10 s), one wait
estimate on a queue of 50, and generating the demo's three months of history.

The replay's row also carries the accuracy on that day (MAE in seconds and the share of
actual waits inside the 80% interval), ours against the usual formula (k+1) x AHT / s, and
the same on three ordinary simulated days (a Monday, a Tuesday, a Saturday at the standard
branch). The big day is a large hall (`queue_synth.big_branch`) staffed like the standard
branch for its work (a Tuesday, 56 counters). BENCH_REPLAY_TICKETS changes its size.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time

from bench.timing import median_ms
from manyi.analytics import queue_synth as qs
from manyi.analytics.queue_policy import Waiting
from manyi.analytics.replay import read_counters, read_events, replay
from manyi.analytics.wait_estimate import (
    CounterNow,
    QueueState,
    Recent,
    ServiceTimes,
    estimate,
    estimate_all,
)

TICKETS = int(os.environ.get("BENCH_REPLAY_TICKETS", 5000))
TUESDAY = dt.date(2026, 3, 3)


def _figures(summary: dict) -> dict:
    ours, formula = summary["ours"], summary["baseline"]
    return {
        "tickets": summary["tickets"],
        "mean_wait_s": round(summary["mean_wait_s"], 1),
        "mae_s": round(ours["mae_s"], 1),
        "coverage": round(ours["coverage"], 3),
        "baseline_mae_s": round(formula["mae_s"], 1),
        "baseline_coverage": round(formula["coverage"], 3),
    }


def _queue_of_fifty() -> tuple[QueueState, str, float]:
    now = 36_000.0
    waiting = [
        Waiting(f"A{k:03d}", "A", "vip" if k % 9 == 4 else "ordinary", now - 1800 + 40 * k)
        for k in range(40)
    ] + [Waiting(f"B{k:03d}", "B", "ordinary", now - 1500 + 120 * k) for k in range(10)]
    counters = [
        CounterNow(f"{k:02d}", ("A", "B") if k < 4 else ("B", "A"), busy_since=now - 50 * k)
        for k in range(6)
    ]
    times = ServiceTimes(mu={"A": 5.5, "B": 6.0}, sigma={"A": 0.5, "B": 0.6})
    recent = Recent(
        times,
        arrival_rates={("A", "ordinary"): 0.02, ("A", "vip"): 0.002, ("B", "ordinary"): 0.004},
    )
    return QueueState(waiting, counters, recent), "A039", now


def run() -> list[dict]:
    rows = []
    profile = dataclasses.replace(qs.big_branch(tickets=TICKETS * 0.957), day_noise=0.0)
    day = qs.branch_day(profile, TUESDAY, seed=1)
    tickets, periods = read_events(day.events), read_counters(day.counters)
    results = []

    def big_replay() -> None:
        results.append(replay(tickets, periods))

    rows.append(
        {
            "benchmark": (
                f"queue replay: a day of {len(tickets):,} tickets, {len(profile.counters)} counters"
            ),
            "median_ms": median_ms(big_replay, repeat=3, warmup=0),
            "note": "target < 10 s",
            **_figures(results[-1].summary),
        }
    )
    for seed, date in ((0, dt.date(2026, 3, 2)), (1, TUESDAY), (2, dt.date(2026, 3, 7))):
        small = qs.branch_day(seed=seed, date=date)
        start = time.perf_counter()
        result = replay(read_events(small.events), read_counters(small.counters))
        rows.append(
            {
                "benchmark": f"queue replay: standard branch, {date:%a %d %b}, seed {seed}",
                "median_ms": (time.perf_counter() - start) * 1000,
                "note": "one run",
                **_figures(result.summary),
            }
        )

    state, ticket, now = _queue_of_fifty()
    rows.append(
        {
            "benchmark": "wait estimate: one ticket, queue of 50, 6 counters",
            "median_ms": median_ms(lambda: estimate(state, ticket, now), repeat=50, warmup=3),
            "note": "200 simulated futures",
        }
    )
    rows.append(
        {
            "benchmark": "wait estimate: all 50 tickets of that queue at once",
            "median_ms": median_ms(lambda: estimate_all(state, now), repeat=30, warmup=2),
            "note": "200 simulated futures (a board refresh)",
        }
    )

    profiles = [
        qs.branch_profile("SH01", 1.0),
        qs.branch_profile("BJ01", 1.4),
        qs.branch_profile("GZ01", 0.7),
    ]
    sizes = []

    def demo_history() -> None:
        run_ = qs.history(profiles, dt.date(2026, 1, 1), dt.date(2026, 3, 31), seed=7)
        sizes.append(len(run_.events))

    rows.append(
        {
            "benchmark": "queue history: 3 months x 3 branches (demo data)",
            "median_ms": median_ms(demo_history, repeat=3, warmup=0),
            "note": f"{sizes[-1]:,} tickets",
        }
    )
    return rows
