"""The queue-design simulation on a busy branch day (no database):

- the comparison the page runs: about 600 customers over 8 hours (three services with a
  morning and an afternoon peak, a VIP / elderly / appointment mix), 6 counters with
  preferences and staggered hours, patience and no-shows, all three designs x 20
  replications; the target is a few seconds at most on a 2-core machine;
- one day of each design alone, to see which one costs what (take-a-number calls the
  fairness rule, `queue_policy.next_ticket`, for every call).
"""

from __future__ import annotations

import math

import numpy as np

from bench.timing import median_ms
from manyi.analytics.queue_sim import (
    DESIGNS,
    Counter,
    Patience,
    Scenario,
    Service,
    ServiceTime,
    draw_customers,
    run_day,
    simulate,
)

# share of a day's arrivals in each half hour, 9:00-17:00: a morning and an afternoon peak
SHAPE = np.array([4, 6, 8, 9, 9, 8, 6, 5, 4, 5, 6, 7, 8, 7, 5, 3], dtype=float)


def branch_day(customers: float = 600.0) -> Scenario:
    rng = np.random.default_rng(2)
    history = tuple(float(x) for x in rng.lognormal(math.log(210), 0.6, 500).round())

    def per_interval(total: float) -> tuple[float, ...]:
        return tuple(float(x) for x in SHAPE / SHAPE.sum() * total)

    return Scenario(
        services=(
            Service(
                "cash",
                per_interval(customers * 0.6),
                ServiceTime.empirical(history),
                {"ordinary": 0.7, "vip": 0.1, "elderly": 0.15, "appointment": 0.05},
            ),
            Service(
                "cards",
                per_interval(customers * 0.25),
                ServiceTime.lognormal(300.0, 0.7),
                {"ordinary": 0.85, "elderly": 0.15},
            ),
            Service(
                "loans",
                per_interval(customers * 0.15),
                ServiceTime.lognormal(420.0, 0.8),
                {"ordinary": 0.6, "vip": 0.2, "appointment": 0.2},
            ),
        ),
        counters=(
            Counter("1", ("cash",)),
            Counter("2", ("cash",)),
            Counter("3", ("cash", "cards")),
            Counter("4", ("cards", "cash"), open=1800.0),
            Counter("5", ("loans", "cards")),
            Counter("6", ("loans", "cash"), close=6 * 3600.0),
        ),
        interval_seconds=1800.0,
        patience=Patience(mean=1800.0),
        no_show_share=0.04,
    )


def run() -> list[dict]:
    scenario = branch_day()
    customers = draw_customers(scenario, np.random.default_rng(1))
    result = simulate(scenario, replications=20, seed=1)
    waits = ", ".join(
        f"{d.design} {d.mean_wait.mean / 60:.1f}/{d.p90_wait.mean / 60:.1f} min"
        for d in result.designs
    )
    rows = [
        {
            "benchmark": "queue sim: 3 designs x 20 days (~600 customers, 6 counters)",
            "median_ms": median_ms(
                lambda: simulate(scenario, replications=20, seed=1), repeat=5, warmup=1
            ),
            "note": f"mean/p90 wait: {waits}",
        }
    ]
    for design in DESIGNS:
        rows.append(
            {
                "benchmark": f"queue sim: one day, {design}",
                "median_ms": median_ms(
                    lambda design=design: run_day(scenario, customers, design),
                    repeat=20,
                    warmup=2,
                ),
                "note": f"{len(customers.arrival)} customers",
            }
        )
    return rows
