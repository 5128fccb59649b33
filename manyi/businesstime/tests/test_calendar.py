"""The business calendar as branches use it: hours from the database, holidays entered for
a year the package does not know, closures, the page and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from manyi.businesstime import actions
from manyi.businesstime.engine import SHANGHAI
from manyi.businesstime.models import OfficialDay, OpeningHours
from manyi.businesstime.services import calendar_for_branch, year_coverage
from manyi.org.models import AuditEntry

H = dt.timedelta(hours=1)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def saturday_branch(org):
    """A1 opens 9:00-17:00 on weekdays and 9:00-12:00 on Saturdays."""
    actions.set_opening_hours(
        org.admin,
        org.a1,
        {**{d: [(dt.time(9), dt.time(17))] for d in range(5)}, 5: [(dt.time(9), dt.time(12))]},
    )
    return org.a1


def test_branch_hours_and_the_national_day(org, saturday_branch):
    cal = calendar_for_branch(saturday_branch)
    # Wed 30 Sep 2026 16:00 + 8 business hours: 1 h, then National Day (1-7 Oct), then
    # Thu 8 Oct 9:00-16:00 (7 h).
    assert cal.add(at(2026, 9, 30, 16), 8 * H) == at(2026, 10, 8, 16)
    # The make-up Saturday 10 Oct has the weekday hours (Monday's), not Saturday's.
    assert cal.is_open(at(2026, 10, 10, 15))
    assert cal.is_open(at(2026, 10, 17, 11)) and not cal.is_open(at(2026, 10, 17, 13))
    hours = OpeningHours.objects.filter(branch=saturday_branch).count()
    assert hours == 6
    assert AuditEntry.objects.filter(action="calendar.hours.set").count() == 1


def test_branch_open_on_holidays(org):
    org.b1.observes_statutory_holidays = False
    org.b1.save()
    assert calendar_for_branch(org.b1).is_open(at(2026, 10, 5, 10))  # Monday in the holiday
    assert not calendar_for_branch(org.a2).is_open(at(2026, 10, 5, 10))


def test_declaring_2027_replaces_the_fallback(org):
    assert {r["year"]: r["source"] for r in year_coverage([2026, 2027])} == {
        2026: "package",
        2027: "fallback",
    }
    cal = calendar_for_branch(org.a1)
    assert cal.is_open(at(2027, 1, 1, 10)) and 2027 in cal.unknown_years
    actions.declare_official_year(
        org.admin,
        2027,
        holidays=[
            (dt.date(2027, 1, 1), "元旦"),
            (dt.date(2027, 10, 1), "国庆节"),
            (dt.date(2027, 10, 4), "国庆节"),
        ],
        workdays=[dt.date(2027, 9, 26)],
        source="国办发明电〔2026〕X号",
    )
    cal = calendar_for_branch(org.a1)
    assert not cal.is_open(at(2027, 1, 1, 10))
    assert not cal.is_open(at(2027, 10, 4, 10))
    assert cal.is_open(at(2027, 9, 26, 10))  # Sunday make-up working day
    assert not cal.unknown_years
    assert year_coverage([2027])[0]["source"] == "entered"
    entry = AuditEntry.objects.get(action="calendar.year.declare")
    assert entry.after["workdays"] == ["2027-09-26"]


def test_declaring_a_year_refuses_bad_input_and_keeps_what_was_stored(org):
    actions.declare_official_year(
        org.admin, 2027, holidays=[(dt.date(2027, 1, 1), "元旦")], workdays=[]
    )
    with pytest.raises(ValidationError) as error:
        actions.declare_official_year(
            org.admin,
            2027,
            holidays=[(dt.date(2028, 1, 1), "元旦")],
            workdays=[dt.date(2027, 1, 5)],
        )
    messages = " ".join(error.value.messages)
    assert "2028-01-01" in messages and "2027-01-05" in messages
    assert list(OfficialDay.objects.values_list("date", flat=True)) == [dt.date(2027, 1, 1)]
    with pytest.raises(PermissionDenied):
        actions.declare_official_year(
            org.agent_a1, 2027, holidays=[(dt.date(2027, 1, 1), "元旦")], workdays=[]
        )


def test_closure_for_one_branch(org):
    actions.add_closure(
        org.regional_a,
        branch=org.a1,
        starts_at=at(2026, 11, 24, 12),
        ends_at=at(2026, 11, 25, 12),
        reason="台风停业",
    )
    assert not calendar_for_branch(org.a1).is_open(at(2026, 11, 24, 15))
    assert calendar_for_branch(org.a2).is_open(at(2026, 11, 24, 15))
    with pytest.raises(PermissionDenied):  # B1 is outside the regional manager's area
        actions.add_closure(
            org.regional_a,
            branch=org.b1,
            starts_at=at(2026, 11, 24, 12),
            ends_at=at(2026, 11, 25, 12),
            reason="停电",
        )


def test_calendar_page_warns_and_takes_the_holidays_of_a_new_year(org, login):
    client = login(org.admin)
    page = client.get("/calendar/").content.decode()
    assert 'data-fallback-year="2027"' in page
    assert "2027 年的法定节假日尚未录入" in page
    bad = client.post("/calendar/", {"year-year": "2027", "year-holidays": "2027-13-01 元旦"})
    assert bad.status_code == 200 and "第 1 行" in bad.content.decode()
    response = client.post(
        "/calendar/",
        {
            "year-year": "2027",
            "year-holidays": "2027-01-01 元旦\n2027-10-01..2027-10-07 国庆节",
            "year-workdays": "2027-09-26\n2027-10-09",
            "year-source": "国务院办公厅通知",
        },
    )
    assert response.status_code == 302
    assert OfficialDay.objects.filter(kind="holiday").count() == 8
    assert 'data-fallback-year="2027"' not in client.get("/calendar/").content.decode()


def test_agents_see_the_calendar_but_cannot_change_it(org, login):
    client = login(org.agent_a1)
    assert client.get("/calendar/").status_code == 200
    response = client.post("/calendar/", {"year-year": "2027", "year-holidays": "2027-01-01"})
    assert response.status_code == 403


def test_api_business_time(org, api):
    client = api(org.agent_a1)
    due = client.post(
        "/calendar/branches/A1/add", {"start": "2026-09-30T16:00:00+08:00", "hours": 3}
    ).json()
    assert due["due"].startswith("2026-10-08T10:00:00")
    assert due["warnings"] == []
    naive = client.post(
        "/calendar/branches/A1/add", {"start": "2026-09-30T16:00:00", "hours": 3}
    ).json()
    assert naive["due"] == due["due"]  # a time without offset is Beijing time
    between = client.get(
        "/calendar/branches/A1/between?start=2026-09-30T16:00:00%2B08:00"
        "&end=2026-10-08T10:00:00%2B08:00"
    ).json()
    assert between["business_seconds"] == 3 * 3600  # default hours 9:00-18:00
    status = client.get("/calendar/branches/A1/open?at=2027-01-01T10:00:00%2B08:00").json()
    assert status["open"] is True and "2027" in status["warnings"][0]
    assert (
        client.post(
            "/calendar/branches/B1/add", {"start": "2026-09-30T16:00:00+08:00", "hours": 1}
        ).status_code
        == 404
    )
    years = {
        y["year"]: y["source"] for y in client.get("/calendar/years?start=2025&end=2027").json()
    }
    assert years == {2025: "package", 2026: "package", 2027: "fallback"}
