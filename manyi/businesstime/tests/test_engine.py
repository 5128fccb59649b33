"""Business-time arithmetic, with China's 2025 and 2026 National Day holidays."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from manyi.businesstime.engine import (
    SHANGHAI,
    BusinessCalendar,
    ChinaStatutoryHolidays,
    DayKind,
    DeclaredHolidays,
    LayeredHolidays,
    weekdays_hours,
)

H = dt.timedelta(hours=1)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def office() -> BusinessCalendar:
    """09:00-12:00 and 13:00-17:00 Monday to Friday (7 business hours a day)."""
    spans = [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17))]
    return BusinessCalendar({d: spans for d in range(5)}, holidays=ChinaStatutoryHolidays())


def test_national_day_2026_is_skipped_and_make_up_saturday_counts(office):
    # Wednesday 30 Sep 2026, 16:00: one hour left that day. 1-7 Oct are holidays;
    # Thursday 8 and Friday 9 Oct are ordinary days; Saturday 10 Oct is a make-up working day.
    start = at(2026, 9, 30, 16)
    assert office.add(start, 1 * H) == at(2026, 9, 30, 17)
    assert office.add(start, 2 * H) == at(2026, 10, 8, 10)  # not 1 Oct
    # 1 h on 30 Sep + 7 h on 8 Oct + 7 h on 9 Oct = 15 h; the 16th hour falls on Saturday.
    assert office.add(start, 16 * H) == at(2026, 10, 10, 10)
    assert office.is_open(at(2026, 10, 10, 10))  # make-up Saturday, Monday's hours
    assert not office.is_open(at(2026, 10, 3, 10))  # holiday (a Saturday anyway)
    assert not office.is_open(at(2026, 10, 5, 10))  # Monday, but National Day
    assert not office.is_open(at(2026, 10, 17, 10))  # an ordinary Saturday


def test_national_day_2025_and_its_make_up_days(office):
    # 2025: holidays 1-8 Oct; make-up working days Sunday 28 Sep and Saturday 11 Oct.
    assert office.is_open(at(2025, 9, 28, 9, 30))
    assert office.is_open(at(2025, 10, 11, 16))
    assert not office.is_open(at(2025, 10, 8, 10))
    # Friday 26 Sep 17:00 + 8 business hours: Sun 28 Sep (7 h), Mon 29 Sep 10:00.
    assert office.add(at(2025, 9, 26, 17), 8 * H) == at(2025, 9, 29, 10)
    # From Tuesday 30 Sep 12:00 to Thursday 9 Oct 12:00: 30 Sep afternoon (4 h) and
    # Thursday 9 Oct morning (3 h); 1-8 Oct are holidays.
    assert office.seconds_between(at(2025, 9, 30, 12), at(2025, 10, 9, 12)) == 7 * 3600


def test_lunch_break_and_closing_time(office):
    assert office.add(at(2026, 11, 23, 11, 30), 1 * H) == at(2026, 11, 23, 13, 30)
    assert office.add(at(2026, 11, 23, 7, 0), 1 * H) == at(2026, 11, 23, 10, 0)
    assert office.add(at(2026, 11, 27, 16, 30), 1 * H) == at(2026, 11, 30, 9, 30)
    assert office.seconds_between(at(2026, 11, 23, 11), at(2026, 11, 23, 14)) == 2 * 3600
    assert office.seconds_between(at(2026, 11, 23, 14), at(2026, 11, 23, 11)) == -2 * 3600
    assert office.next_open(at(2026, 11, 23, 12, 15)) == at(2026, 11, 23, 13)
    assert office.add(at(2026, 11, 23, 10), dt.timedelta(0)) == at(2026, 11, 23, 10)


def test_instants_in_other_timezones_are_converted():
    cal = BusinessCalendar(weekdays_hours(dt.time(9), dt.time(17)))
    utc_start = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    assert cal.is_open(utc_start)
    assert cal.add(utc_start, 8 * H) == at(2026, 11, 23, 17)


def test_closures_are_subtracted():
    typhoon = (at(2026, 11, 24, 12), at(2026, 11, 25, 12))
    cal = BusinessCalendar(weekdays_hours(dt.time(9), dt.time(17)), closures=[typhoon])
    assert not cal.is_open(at(2026, 11, 24, 15))
    assert cal.is_open(at(2026, 11, 25, 13))
    # Tue 24 Nov 9:00 + 5 h: 3 h before the closure, then Wednesday from 12:00.
    assert cal.add(at(2026, 11, 24, 9), 5 * H) == at(2026, 11, 25, 14)


def test_unknown_year_falls_back_to_weekly_hours_with_a_warning(office, caplog):
    # The package stops at 2026: 1 Jan 2027 (surely a holiday) counts as a Friday.
    assert not ChinaStatutoryHolidays().knows_year(2027)
    assert office.is_open(at(2027, 1, 1, 10))
    assert 2027 in office.unknown_years
    assert "2027" in caplog.text
    assert office.add(at(2026, 12, 31, 16), 2 * H) == at(2027, 1, 1, 10)


def test_declared_year_replaces_the_fallback():
    declared = DeclaredHolidays(years={2027}, days={dt.date(2027, 1, 1): DayKind.HOLIDAY})
    cal = BusinessCalendar(
        weekdays_hours(dt.time(9), dt.time(17)),
        holidays=LayeredHolidays([declared, ChinaStatutoryHolidays()]),
    )
    assert not cal.is_open(at(2027, 1, 1, 10))
    assert cal.is_open(at(2027, 1, 4, 10))
    assert cal.is_open(at(2026, 11, 23, 10))  # 2026 still answered by the package
    assert not cal.is_open(at(2026, 10, 1, 10))
    assert not cal.unknown_years


def test_bad_input_is_refused_clearly():
    cal = BusinessCalendar(weekdays_hours(dt.time(9), dt.time(17)))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add(dt.datetime(2026, 11, 23, 10), H)
    with pytest.raises(ValueError, match="negative"):
        cal.add(at(2026, 11, 23, 10), -H)
    with pytest.raises(ValueError, match="before closing"):
        BusinessCalendar({0: [(dt.time(17), dt.time(9))]})
    with pytest.raises(ValueError, match="ten years"):
        BusinessCalendar({}).add(at(2026, 11, 23, 10), H)


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2026, 12, 1)),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 20),
)
def test_add_and_between_are_inverse(start, minutes):
    spans = [(dt.time(9), dt.time(12)), (dt.time(13), dt.time(17, 30))]
    cal = BusinessCalendar({d: spans for d in range(6)}, holidays=ChinaStatutoryHolidays())
    begin = start.replace(tzinfo=SHANGHAI)
    due = cal.add(begin, dt.timedelta(minutes=minutes))
    assert due >= begin
    assert cal.seconds_between(begin, due) == pytest.approx(minutes * 60)
    if minutes:
        assert cal.is_open(due - dt.timedelta(seconds=1))
