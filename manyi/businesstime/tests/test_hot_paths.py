"""The business calendar page lists every branch a person sees: its queries stay the same
for 2 branches or 5, whether the calendars are cached yet or not."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from manyi.businesstime import actions
from manyi.businesstime.engine import SHANGHAI
from manyi.businesstime.services import calendar_for_branch, calendars_for_branches
from manyi.core.configcache import clear_all
from manyi.org.models import Branch

pytestmark = pytest.mark.django_db

NOON = dt.time(12)


def _hours(admin, branch: Branch, closes: int) -> None:
    actions.set_opening_hours(
        admin, branch, {d: [(dt.time(9), NOON), (dt.time(13), dt.time(closes))] for d in range(6)}
    )


def _page_queries(client) -> tuple[int, int, str]:
    """Queries of the page with no calendar cached, then with all of them cached."""
    clear_all()
    with CaptureQueriesContext(connection) as cold:
        page = client.get("/calendar/")
    with CaptureQueriesContext(connection) as warm:
        client.get("/calendar/")
    assert page.status_code == 200
    return len(cold.captured_queries), len(warm.captured_queries), page.content.decode()


def test_the_calendar_page_takes_the_same_queries_for_2_or_5_branches(org, login):
    client = login(org.regional_a)  # sees the two branches of region A
    _hours(org.admin, org.a1, 17)
    actions.add_closure(
        org.admin,
        branch=org.a2,
        starts_at=dt.datetime(2026, 12, 1, tzinfo=SHANGHAI),
        ends_at=dt.datetime(2099, 1, 1, tzinfo=SHANGHAI),
        reason="装修",
    )
    two = _page_queries(client)
    for n, closes in ((3, 18), (4, 19), (5, 20)):
        branch = Branch.objects.create(
            region=org.region_a, code=f"A{n}", name=f"第{n}支行", observes_statutory_holidays=n != 5
        )
        _hours(org.admin, branch, closes)
    five = _page_queries(client)
    assert (two[0], two[1]) == (five[0], five[1]), (two[:2], five[:2])
    page = five[2]
    for closes in (17, 18, 19, 20):  # each branch's own hours are shown
        assert f"13:00–{closes}:00" in page
    assert page.count("第") >= 3 and "装修" in page


def test_many_calendars_built_together_agree_with_one_at_a_time(org):
    _hours(org.admin, org.a1, 17)
    org.b1.observes_statutory_holidays = False
    org.b1.save()
    actions.add_closure(
        org.admin,
        branch=None,
        starts_at=dt.datetime(2026, 10, 12, 9, tzinfo=SHANGHAI),
        ends_at=dt.datetime(2026, 10, 12, 12, tzinfo=SHANGHAI),
        reason="台风",
    )
    branches = [org.a1, org.a2, org.b1]
    together = calendars_for_branches(branches)
    clear_all()
    start = dt.datetime(2026, 9, 30, 10, tzinfo=SHANGHAI)
    for branch in branches:
        alone = calendar_for_branch(branch)
        clear_all()
        assert together[branch.pk].weekly_hours == alone.weekly_hours
        assert together[branch.pk].closures == alone.closures
        for hours in (1, 8, 40):
            step = dt.timedelta(hours=hours)
            assert together[branch.pk].add(start, step) == alone.add(start, step)
    assert calendars_for_branches([]) == {}
