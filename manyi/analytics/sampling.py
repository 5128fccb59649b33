"""Drawing the customers to interview, and when to call them back (no Django).

Samples are reproducible: the same population, size and seed give the same people, in
the same order, on any machine (numpy's PCG64 generator on the sorted ids). Stratified
samples allocate the size to strata in proportion to their size (largest remainders),
and draw each stratum with its own seed derived from the sample's, so adding a stratum
does not change who is drawn in the others.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Hashable, Mapping, Sequence

import numpy as np


def simple_random_sample(ids: Sequence[int], n: int, *, seed: int) -> list[int]:
    population = sorted(set(ids))
    if n >= len(population):
        return population
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(population), size=n, replace=False)
    return [population[i] for i in chosen]


def allocate(sizes: Mapping[Hashable, int], n: int) -> dict[Hashable, int]:
    """Proportional allocation of `n` to strata, by largest remainders (sums to n)."""
    total = sum(sizes.values())
    if total == 0:
        return dict.fromkeys(sizes, 0)
    n = min(n, total)
    exact = {k: n * size / total for k, size in sizes.items()}
    whole = {k: int(v) for k, v in exact.items()}
    left = n - sum(whole.values())
    for key in sorted(exact, key=lambda k: (-(exact[k] - whole[k]), str(k)))[:left]:
        whole[key] += 1
    return whole


def _stratum_seed(seed: int, key: Hashable) -> int:
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def stratified_sample(
    strata: Mapping[Hashable, Sequence[int]], n: int, *, seed: int
) -> dict[Hashable, list[int]]:
    sizes = {key: len(set(ids)) for key, ids in strata.items()}
    plan = allocate(sizes, n)
    return {
        key: simple_random_sample(strata[key], plan[key], seed=_stratum_seed(seed, key))
        for key in sorted(strata, key=str)
    }


def callback_time(
    wanted: dt.datetime,
    window: tuple[dt.time, dt.time] | None,
    *,
    default_window: tuple[dt.time, dt.time] = (dt.time(9, 0), dt.time(20, 0)),
) -> dt.datetime:
    """The first moment at or after `wanted` (an aware local time) inside the customer's
    daily window for calls (seed 004: call back when it suits the customer). A window whose
    end is before its start runs past midnight."""
    start, end = window or default_window
    overnight = end <= start
    day = wanted.date()
    if overnight and wanted < dt.datetime.combine(day, end, tzinfo=wanted.tzinfo):
        return wanted  # still inside the window that opened the evening before
    for offset in range(3):
        date = day + dt.timedelta(days=offset)
        opens = dt.datetime.combine(date, start, tzinfo=wanted.tzinfo)
        closes = dt.datetime.combine(
            date + dt.timedelta(days=1 if overnight else 0), end, tzinfo=wanted.tzinfo
        )
        if wanted < opens:
            return opens
        if wanted < closes:
            return wanted
    return dt.datetime.combine(day + dt.timedelta(days=1), start, tzinfo=wanted.tzinfo)
