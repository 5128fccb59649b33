"""The step loop of the wait simulation, compiled (numba; no Django).

`wait_estimate._simulate` lays the runs out as flat arrays and draws their random numbers;
this moves every run forward, one event at a time, for up to one chunk of steps. Each run
is a short scalar loop over its counters and lines: written with numpy over all runs at
once it cost some sixty array calls per event on arrays of a few hundred numbers, most of
the time of taking a number and of the replay. Compiled, it is a few microseconds per run.

The run's k-th event uses the k-th column of its random numbers, exactly as the
vectorised loop did, so a case's answer still depends on its own seed only. The compiled
code is cached on disk (numba's `cache=True`) after the first call on a machine.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, error_model="numpy", nogil=True)
def _table_index(scaled: float, size: int) -> int:
    """Index into a patience table of a wait already divided by its step (nan: 0)."""
    if not scaled > 0.0:
        return 0
    if scaled > size - 1:
        return size - 1
    return int(scaled)


@njit(cache=True, error_model="numpy", nogil=True)
def advance(
    step0: int,
    max_steps: int,
    live: np.ndarray,  # (N,) bool: runs still going; cleared when a run ends
    rnd: np.ndarray,  # (3, N, chunk): uniform (fate), normal (service), gap / rate factor
    free: np.ndarray,  # (N, C): when each counter is next free (inf: never)
    head_key: np.ndarray,  # (N, L): key of the head of each line (inf: empty)
    head_arrival: np.ndarray,  # (N, L): when that head is here
    pointer: np.ndarray,  # (N, XA): position in the flat store of each stored line's head
    period: np.ndarray,  # (N, C): the open period each counter is in
    seen: np.ndarray,  # (N,): tracked tickets called so far
    calls: np.ndarray,  # (N, T + 1): call time of each tracked ticket (slot 0 unused)
    store_key: np.ndarray,  # flat store of the lines: key ...
    store_arrival: np.ndarray,  # ... arrival ...
    store_issued: np.ndarray,  # ... issued ...
    store_factor: np.ndarray,  # ... log factor of the service time ...
    store_slot: np.ndarray,  # ... tracked slot (0: untracked)
    offsets: np.ndarray,  # (B * C, L): a counter's key offset per line (inf: not served)
    speed: np.ndarray,  # (B * C,): a counter's log factor of the service time
    period_start: np.ndarray,  # (B * C * (P + 1),)
    period_end: np.ndarray,  # (B * C * (P + 1),)
    mu: np.ndarray,  # (B * S,): log mean service time
    sigma: np.ndarray,  # (B * S,)
    rate: np.ndarray,  # (B * L,): newcomers per second now ...
    rate_later: np.ndarray,  # (B * L,): ... and the rate they return to
    cutoff: np.ndarray,  # (B * L,): newcomers after this do not matter
    head_start: np.ndarray,  # (B * L,)
    stream_factor: np.ndarray,  # (B * L,): newcomers' log factor of the service time
    column_service: np.ndarray,  # (L,)
    cdf: np.ndarray,  # the patience CDF tables, one after another
    table_base: np.ndarray,  # (B,): where each case's table starts
    case_of: np.ndarray,  # (N,) per run: its case ...
    inverse_reversion: np.ndarray,  # ... 1 / the time for rates to drift back ...
    cancel_share: np.ndarray,  # ... share of the impatient who cancel (not no-shows) ...
    patience_scale: np.ndarray,  # ... the patience factor / table step ...
    pace: np.ndarray,  # ... log pace of service ...
    no_show_cost: np.ndarray,  # ... seconds a no-show costs a counter ...
    turnaround: np.ndarray,  # ... seconds between two customers ...
    tracked: np.ndarray,  # ... tickets followed
    stored_lines: int,  # XA: the lines kept in the store (walk-ins, appointments)
    n_services: int,  # S
    n_periods: int,  # P + 1
    table_size: int,  # length of one patience table
    unit: float,  # _U: the key of a ticket not due now
) -> None:
    n_runs, n_counters = free.shape
    n_lines = head_key.shape[1]
    chunk = rnd.shape[2]
    for r in range(n_runs):
        if not live[r]:
            continue
        b = case_of[r]
        for k in range(chunk):
            if step0 + k >= max_steps:
                break
            slot = 0
            # the counter free first (the first of equals) ...
            c = 0
            t = free[r, 0]
            for j in range(1, n_counters):
                if free[r, j] < t:
                    t = free[r, j]
                    c = j
            if not t < np.inf:  # no counter will ever call again
                live[r] = False
                break
            cc = b * n_counters + c
            # ... calls the head with the lowest key among the lines it serves, present by t
            pick = 0
            best = np.inf
            for j in range(n_lines):
                if t >= head_arrival[r, j]:
                    value = head_key[r, j] + offsets[cc, j]
                    if value < best:
                        best = value
                        pick = j
            call = best < np.inf
            if not call:  # nothing to call: wait for the next newcomer it serves
                later = np.inf
                for j in range(n_lines):
                    waits_for = np.isfinite(offsets[cc, j]) and not t >= head_arrival[r, j]
                    if waits_for and head_arrival[r, j] < later:
                        later = head_arrival[r, j]
                new_free = later
            else:
                stored = pick < stored_lines
                where = pointer[r, pick] if stored else 0
                issued = store_issued[where]
                factor = store_factor[where]
                came = head_arrival[r, pick]
                if stored:  # the next in the line moves up
                    pointer[r, pick] = where + 1
                    head_arrival[r, pick] = store_arrival[where + 1]
                    head_key[r, pick] = store_key[where + 1]
                else:  # a newcomer called: the next one of its stream is drawn
                    cp = b * n_lines + pick
                    issued = came
                    factor = stream_factor[cp]
                    decay = np.exp(-max(came, 0.0) * inverse_reversion[r])
                    lam = rate_later[cp] + (rate[cp] - rate_later[cp]) * decay
                    following = came + rnd[2, r, k] / lam
                    if not following < cutoff[cp]:
                        following = np.inf
                    head_arrival[r, pick] = following
                    head_key[r, pick] = unit + following - head_start[cp]
                # patience: gone by t (known only if cancelled after now), given not
                # cancelled by now
                pq = cancel_share[r]
                base = table_base[b]
                f_t = cdf[base + _table_index((t - issued) * patience_scale[r], table_size)]
                f_0 = cdf[base + _table_index(issued * -patience_scale[r], table_size)]
                stay = 1.0 - pq * f_0
                p_cancel = pq * (f_t - f_0) / stay
                fate = rnd[0, r, k]
                if fate < p_cancel:  # cancelled: the counter calls again at once
                    new_free = t
                elif fate < p_cancel + (1.0 - pq) * f_t / stay:  # no-show
                    new_free = t + no_show_cost[r]
                else:
                    sv = b * n_services + column_service[pick]
                    length = np.exp(
                        mu[sv] + factor + speed[cc] + pace[r] + sigma[sv] * rnd[1, r, k]
                    )
                    new_free = t + (length + turnaround[r])
                if stored:
                    slot = store_slot[where]
                if slot > 0:
                    calls[r, slot] = t
                    seen[r] += 1
            # past the end of its open period: the counter stops, and opens again if planned
            at = cc * n_periods + period[r, c]
            end = period_end[at]
            if new_free >= end and end < np.inf:
                new_free = max(new_free, period_start[at + 1])
                period[r, c] += 1
            free[r, c] = new_free
            if slot > 0 and seen[r] >= tracked[r]:  # every tracked ticket called
                live[r] = False
                break
