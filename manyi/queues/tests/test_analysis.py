"""The staffing plan and the queue-design simulation read the branch's own history."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.utils import timezone

from manyi.core import clock
from manyi.queues import actions, config

pytestmark = pytest.mark.django_db

MONDAYS = (dt.date(2026, 11, 9), dt.date(2026, 11, 16))


@pytest.fixture
def history(org, hall, at_ten):
    """Two past Mondays, 9:00-16:00: numbers taken, called, served (some leave), through the
    real actions at the times they happened."""
    rng = random.Random(4)
    for day in MONDAYS:
        start = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))
        arrivals = sorted(rng.uniform(0, 7 * 3600) for _ in range(40))
        with clock.as_of(start):
            for number in (1, 3):
                actions.open_counter(
                    org.agent_a1 if number == 1 else org.supervisor_a1, hall.counters[number]
                )
        free = {1: start, 3: start}
        for n, offset in enumerate(arrivals):
            issued = start + dt.timedelta(seconds=offset)
            with clock.as_of(issued):
                service = hall.business if n % 5 == 0 else hall.personal
                _ticket, token = actions.take_number("kiosk:test", org.a1, service)
            if n % 13 == 6:  # gives up before being called
                with clock.as_of(issued + dt.timedelta(seconds=45)):
                    actions.leave(token)
        for n, offset in enumerate(arrivals):
            number = 1 if n % 2 == 0 else 3
            user = org.agent_a1 if number == 1 else org.supervisor_a1
            counter = hall.counters[number]
            at = max(free[number], start + dt.timedelta(seconds=offset + 60))
            with clock.as_of(at):
                ticket = actions.call_next(user, counter)
            if ticket is None:
                continue
            with clock.as_of(at + dt.timedelta(seconds=30)):
                if n % 9 == 4:
                    actions.no_show(user, counter)
                    free[number] = at + dt.timedelta(seconds=40)
                    continue
                actions.start(user, counter)
            done = at + dt.timedelta(seconds=30 + rng.uniform(120, 420))
            with clock.as_of(done):
                actions.finish(user, counter)
            free[number] = done
        end = start + dt.timedelta(hours=8)
        with clock.as_of(end):
            for number, user in ((1, org.agent_a1), (3, org.supervisor_a1)):
                if config.current_ticket(hall.counters[number]) is None:
                    actions.close_counter(user, hall.counters[number])
    return MONDAYS


def test_the_staffing_plan_of_a_monday(login, org, history):
    page = login(org.manager).get("/queues/staffing/?branch=A1&weekday=0&model=erlang_c")
    text = page.content.decode()
    assert page.status_code == 200 and 'id="plan"' in text
    assert "（秒）" not in text  # the mean waits in minutes, like every duration
    rows = page.context["plan"]["rows"]
    assert [r["hour"] for r in rows][:1] == [9] and len(rows) >= 7
    assert all(r["raw"] >= 1 and r["rostered"] >= r["raw"] for r in rows)
    assert all(r["service_level"] >= 0.8 for r in rows)  # each hour meets the target
    erlang_a = login(org.manager).get("/queues/staffing/?branch=A1&weekday=0&model=erlang_a")
    assert erlang_a.context["plan"]["model"] == "erlang_a"
    bad = login(org.manager).get("/queues/staffing/?branch=A1&weekday=0&target=1.5")
    assert bad.context["problem"]
    assert login(org.agent_a1).get("/queues/staffing/").status_code == 403


def test_the_queue_design_simulation_of_a_monday(login, org, history):
    page = login(org.manager).get("/queues/simulate/?branch=A1&weekday=0&replications=8")
    assert page.status_code == 200
    result = page.context["result"]
    assert [d["design"] for d in result["designs"]] == ["shared", "per_counter", "take_a_number"]
    for design in result["designs"]:
        assert (
            design["mean_wait"]["low"] <= design["mean_wait"]["mean"] <= design["mean_wait"]["high"]
        )
    text = page.content.decode()
    assert "<polyline" in text and text.count("<polyline") == 3
    assert " s <span" not in text and "分钟" in text  # waits worded, not bare seconds
    empty = login(org.manager).get("/queues/simulate/?branch=A1&weekday=6")
    assert empty.context["problem"]  # no Sunday history: said, not simulated
