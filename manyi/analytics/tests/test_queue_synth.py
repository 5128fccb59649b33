"""Realistic branch days: reproducible, shaped like a bank's day, every call by the rule."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.analytics import queue_synth as qs
from manyi.analytics.queue_policy import PRIORITIES, Policy, Waiting, next_ticket

MONDAY = dt.date(2026, 3, 2)


def _seconds(series: pd.Series) -> np.ndarray:
    return series.map(lambda t: t.timestamp() if pd.notna(t) else np.nan).to_numpy(dtype=float)


def test_the_same_seed_gives_the_same_day_and_another_seed_another():
    a = qs.branch_day(seed=5, date=MONDAY)
    b = qs.branch_day(seed=5, date=MONDAY)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.counters, b.counters)
    c = qs.branch_day(seed=6, date=MONDAY)
    assert not a.events["issued_at"].equals(c.events["issued_at"])


def test_a_day_of_a_run_of_days_is_that_day_alone():
    profile = qs.branch_profile("BJ01", 1.3)
    run = qs.history(profile, dt.date(2026, 3, 1), dt.date(2026, 3, 10), seed=3)
    alone = qs.branch_day(profile, dt.date(2026, 3, 4), seed=3)
    day = run.events[run.events["date"] == dt.date(2026, 3, 4)]
    day = day.drop(columns=["branch", "date"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(day, alone.events)


def test_the_tables_are_in_the_replay_format():
    day = qs.branch_day(seed=1, date=MONDAY)
    e, c = day.events, day.counters
    assert list(e.columns) == qs.EVENT_COLUMNS
    assert list(c.columns) == qs.COUNTER_COLUMNS
    assert e["ticket"].is_unique
    assert set(e["outcome"]) <= {"served", "no_show", "abandoned"}
    assert set(e["priority"]) == set(PRIORITIES)  # all four classes on a Monday
    served = e[e["outcome"] == "served"]
    assert (served["issued_at"] <= served["called_at"]).all()
    assert (served["called_at"] <= served["started_at"]).all()
    assert (served["started_at"] < served["finished_at"]).all()
    no_show = e[e["outcome"] == "no_show"]
    assert no_show["called_at"].notna().all() and no_show["started_at"].isna().all()
    gone = e[e["outcome"] == "abandoned"]
    assert gone["called_at"].isna().all() and (gone["finished_at"] > gone["issued_at"]).all()
    appointments = e[e["priority"] == "appointment"]
    assert appointments["appointment_at"].notna().all()
    assert e.loc[e["priority"] != "appointment", "appointment_at"].isna().all()
    assert c["services"].str.fullmatch(r"[A-C](\|[A-C])*").all()
    # staggered lunches: a counter has two rows, and never are all counters away at once
    assert (c["counter"].value_counts() >= 2).any()
    noon = pd.Timestamp("2026-03-02 12:15", tz=qs.SHANGHAI)
    open_at_noon = c[(c["opened_at"] <= noon) & (noon < c["closed_at"])]
    assert 0 < len(open_at_noon) < c["counter"].nunique()
    # some leave: no-shows and cancellations both happen on a busy Monday
    assert 0.01 < (e["outcome"] == "no_show").mean() < 0.3
    assert (e["outcome"] == "abandoned").any()


def test_a_bank_day_peaks_mid_morning_and_mid_afternoon_and_mondays_are_busier():
    hours = []
    sizes = {}
    for seed in range(6):
        for day in (MONDAY, MONDAY + dt.timedelta(days=2)):  # Monday, Wednesday
            events = qs.branch_day(seed=seed, date=day).events
            sizes.setdefault(day.weekday(), []).append(len(events))
            hours.append(events["issued_at"].dt.hour.value_counts())
    per_hour = pd.concat(hours, axis=1).fillna(0).sum(axis=1)
    assert per_hour[10] > per_hour[12] and per_hour[14] > per_hour[12]
    assert per_hour[10] > per_hour[9] and per_hour[14] > per_hour[16]
    assert np.mean(sizes[0]) > 1.15 * np.mean(sizes[2])
    assert qs.volume_factor(dt.date(2026, 3, 31)) > qs.volume_factor(dt.date(2026, 3, 17))


def _check_calls_follow_the_rule(day: qs.Day, policy: Policy) -> int:
    """Every call: the ticket the counter takes is the rule's choice among those waiting
    at that moment (its services in its order of preference)."""
    e = day.events
    issued, called = _seconds(e["issued_at"]), _seconds(e["called_at"])
    left = _seconds(e["finished_at"]).copy()
    left[e["outcome"].to_numpy() != "abandoned"] = np.inf
    appointment = _seconds(e["appointment_at"])
    waits = [
        Waiting(t, s, p, i, None if np.isnan(a) else a)
        for t, s, p, i, a in zip(
            e["ticket"], e["service"], e["priority"], issued, appointment, strict=True
        )
    ]
    services = dict(
        zip(day.counters["counter"], day.counters["services"].str.split("|"), strict=True)
    )
    checked = 0
    for k in np.argsort(called):
        if np.isnan(called[k]):
            break
        now = called[k]
        waiting = [
            w
            for j, w in enumerate(waits)
            # (one called by another counter in the same second may have gone first)
            if issued[j] <= now and (j == k or not called[j] <= now) and left[j] >= now
        ]
        chosen = next_ticket(waiting, services[e["counter"].iloc[k]], now, policy)
        if chosen.ticket != waits[k].ticket:
            # a number issued in the very second of the call is not yet in the line
            earlier = [w for w in waiting if w.issued_at < now or w is waits[k]]
            chosen = next_ticket(earlier, services[e["counter"].iloc[k]], now, policy)
        assert chosen.ticket == waits[k].ticket, (e["ticket"].iloc[k], now)
        checked += 1
    return checked


def test_every_call_is_the_fairness_rules_choice():
    day = qs.branch_day(seed=2, date=MONDAY)
    assert _check_calls_follow_the_rule(day, Policy()) > 300


@settings(max_examples=8, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.sampled_from([0.5, 1.0, 1.5]),
    vip_head=st.sampled_from([300.0, 600.0, 1200.0]),
    by_preference=st.booleans(),
)
def test_every_call_follows_the_rule_for_other_branches_and_rules(
    seed, scale, vip_head, by_preference
):
    policy = Policy(
        head_start={"vip": vip_head, "elderly": 300.0, "ordinary": 0.0},
        by_preference=by_preference,
    )
    profile = qs.branch_profile("T01", scale, policy=policy, tickets_per_day=150 * scale)
    day = qs.branch_day(profile, MONDAY, seed=seed)
    _check_calls_follow_the_rule(day, policy)


def test_a_bigger_branch_is_busier_and_a_weekend_quieter():
    small = qs.branch_day(qs.branch_profile("S", 0.5), MONDAY, seed=1)
    big = qs.branch_day(qs.branch_profile("L", 2.0), MONDAY, seed=1)
    assert len(big.events) > 3 * len(small.events)
    assert big.counters["counter"].nunique() > small.counters["counter"].nunique()
    saturday = qs.branch_day(date=dt.date(2026, 3, 7), seed=1)
    monday = qs.branch_day(date=MONDAY, seed=1)
    assert saturday.counters["counter"].nunique() < monday.counters["counter"].nunique()
    assert len(saturday.events) < len(monday.events)


def test_statutory_holidays_are_closed_and_make_up_days_open():
    days = list(qs.open_days(dt.date(2026, 9, 28), dt.date(2026, 10, 11), weekends=False))
    assert dt.date(2026, 10, 1) not in days  # National Day
    assert dt.date(2026, 9, 30) in days


def test_the_csv_writer_writes_iso_times_and_empty_cells(tmp_path):
    day = qs.branch_day(seed=1, date=MONDAY)
    day.write_csv(tmp_path / "e.csv", tmp_path / "c.csv")
    text = (tmp_path / "e.csv").read_text().splitlines()
    assert text[0] == ",".join(qs.EVENT_COLUMNS)
    assert "2026-03-02T09:" in text[1] and "+08:00" in text[1]
    back = pd.read_csv(tmp_path / "e.csv")
    assert len(back) == len(day.events)


@pytest.mark.parametrize("branches", [3])
def test_three_months_of_history_for_the_demo(branches):
    # (how long it takes is measured in bench/bench_replay.py)
    profiles = [qs.branch_profile(f"B{k}", 0.8 + 0.4 * k) for k in range(branches)]
    run = qs.history(profiles, dt.date(2026, 1, 1), dt.date(2026, 3, 31), seed=7)
    assert set(run.events["branch"]) == {"B0", "B1", "B2"}
    assert run.events["date"].nunique() > 70  # (New Year and the Spring Festival closed)
