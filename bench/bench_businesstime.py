"""Business-time arithmetic: SLA due times across holidays (used on every ticket write)."""

from __future__ import annotations

import datetime as dt
import random

from bench.timing import median_ms
from manyi.businesstime.engine import SHANGHAI, BusinessCalendar, ChinaStatutoryHolidays


def run() -> list[dict]:
    spans = [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17, 30))]
    rng = random.Random(1)
    starts = [
        dt.datetime(2025, 1, 1, tzinfo=SHANGHAI) + dt.timedelta(minutes=rng.randrange(700_000))
        for _ in range(10_000)
    ]

    def due_times() -> None:
        cal = BusinessCalendar({d: spans for d in range(5)}, holidays=ChinaStatutoryHolidays())
        for start in starts:
            cal.add(start, dt.timedelta(hours=8))

    def between() -> None:
        cal = BusinessCalendar({d: spans for d in range(5)}, holidays=ChinaStatutoryHolidays())
        for start in starts:
            cal.seconds_between(start, start + dt.timedelta(days=10))

    return [
        {
            "benchmark": "calendar: 10,000 due times (+8 business hours)",
            "median_ms": median_ms(due_times, repeat=7, warmup=1),
            "note": "fresh calendar, cold day cache",
        },
        {
            "benchmark": "calendar: 10,000 business-seconds over 10 days",
            "median_ms": median_ms(between, repeat=7, warmup=1),
            "note": "fresh calendar, cold day cache",
        },
    ]
