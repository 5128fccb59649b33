"""Business-time arithmetic (no Django): opening hours, China's statutory holidays and make-up
working days (调休), and local closures.

    cal = BusinessCalendar({0: [(time(9), time(17))], ...}, holidays=ChinaStatutoryHolidays())
    cal.add(instant, timedelta(hours=8))       # due time, 8 business hours later
    cal.seconds_between(start, end)            # business seconds in [start, end)
    cal.is_open(instant)

A year the holiday data does not cover falls back to the weekly hours alone and is listed in
`unknown_years`, so the caller can warn; nothing raises.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_SEARCH_DAYS = 3660  # give up after ten years without a single open hour

Span = tuple[dt.time, dt.time]
Interval = tuple[dt.datetime, dt.datetime]


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # statutory day off (法定节假日 and the days moved next to it)
    WORKDAY = "workday"  # make-up working day on a weekend (调休上班)


class HolidaySource(Protocol):
    def knows_year(self, year: int) -> bool: ...

    def day_kind(self, day: dt.date) -> DayKind | None: ...


class ChinaStatutoryHolidays:
    """The State Council's holidays as published in the `chinesecalendar` package."""

    def knows_year(self, year: int) -> bool:
        return _package_knows_year(year)

    def day_kind(self, day: dt.date) -> DayKind | None:
        import chinese_calendar

        if day in chinese_calendar.holidays:
            return DayKind.HOLIDAY
        if day in chinese_calendar.workdays:
            return DayKind.WORKDAY
        return None


@lru_cache(maxsize=64)
def _package_knows_year(year: int) -> bool:
    import chinese_calendar

    try:
        chinese_calendar.is_holiday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@dataclass
class DeclaredHolidays:
    """Holidays entered by hand, for a year the package does not know yet (or a correction).
    A declared year is complete: its days replace any other source for that year."""

    years: set[int] = field(default_factory=set)
    days: dict[dt.date, DayKind] = field(default_factory=dict)

    def knows_year(self, year: int) -> bool:
        return year in self.years

    def day_kind(self, day: dt.date) -> DayKind | None:
        return self.days.get(day)


@dataclass
class LayeredHolidays:
    """The first source that knows a year answers for it."""

    sources: Sequence[HolidaySource]

    def source_for(self, year: int) -> HolidaySource | None:
        return next((s for s in self.sources if s.knows_year(year)), None)

    def knows_year(self, year: int) -> bool:
        return self.source_for(year) is not None

    def day_kind(self, day: dt.date) -> DayKind | None:
        source = self.source_for(day.year)
        return source.day_kind(day) if source is not None else None


class BusinessCalendar:
    def __init__(
        self,
        weekly_hours: Mapping[int, Iterable[Span]],
        *,
        holidays: HolidaySource | None = None,
        closures: Iterable[Interval] = (),
        tz: dt.tzinfo = SHANGHAI,
        makeup_weekday: int = 0,
    ) -> None:
        """`weekly_hours` maps Monday=0 .. Sunday=6 to opening spans. On a make-up working day
        the hours of `makeup_weekday` (Monday by default) apply. `holidays=None` ignores
        statutory holidays (a branch that opens every day of the year)."""
        self.weekly_hours: dict[int, list[Span]] = {}
        for weekday, spans in weekly_hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday}")
            checked = sorted(spans)
            for opens, closes in checked:
                if opens >= closes:
                    raise ValueError(f"opening {opens} is not before closing {closes}")
            self.weekly_hours[weekday] = checked
        self.holidays = holidays
        self.tz = tz
        self.makeup_weekday = makeup_weekday
        self.closures = sorted((_aware(a), _aware(b)) for a, b in closures)
        self.unknown_years: set[int] = set()
        self._day_cache: dict[dt.date, list[Interval]] = {}

    # -- the day's opening intervals --------------------------------------------------------
    def day_kind(self, day: dt.date) -> DayKind | None:
        if self.holidays is None:
            return None
        if not self.holidays.knows_year(day.year):
            if day.year not in self.unknown_years:
                self.unknown_years.add(day.year)
                logger.warning("no holiday data for %s: using weekly hours only", day.year)
            return None
        return self.holidays.day_kind(day)

    def intervals_on(self, day: dt.date) -> list[Interval]:
        cached = self._day_cache.get(day)
        if cached is not None:
            return cached
        kind = self.day_kind(day)
        if kind is DayKind.HOLIDAY:
            spans: list[Span] = []
        elif kind is DayKind.WORKDAY:  # a make-up day is worked like a normal weekday
            spans = self.weekly_hours.get(self.makeup_weekday, [])
        else:
            spans = self.weekly_hours.get(day.weekday(), [])
        intervals = [
            (dt.datetime.combine(day, opens, self.tz), dt.datetime.combine(day, closes, self.tz))
            for opens, closes in spans
        ]
        intervals = _subtract(intervals, self.closures)
        self._day_cache[day] = intervals
        return intervals

    def _days_from(self, instant: dt.datetime) -> Iterable[dt.date]:
        day = instant.astimezone(self.tz).date()
        for offset in range(MAX_SEARCH_DAYS):
            yield day + dt.timedelta(days=offset)
        raise ValueError("the calendar has no opening hours within ten years")

    # -- questions ---------------------------------------------------------------------------
    def is_open(self, instant: dt.datetime) -> bool:
        instant = _aware(instant)
        day = instant.astimezone(self.tz).date()
        return any(a <= instant < b for a, b in self.intervals_on(day))

    def next_open(self, instant: dt.datetime) -> dt.datetime:
        """The instant itself when open, otherwise the next opening."""
        instant = _aware(instant)
        for day in self._days_from(instant):
            for a, b in self.intervals_on(day):
                if b > instant:
                    return max(a, instant)
        raise AssertionError("unreachable")

    def add(self, instant: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant at which `duration` of business time has passed after `instant`."""
        instant = _aware(instant)
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        if duration == dt.timedelta(0):
            return instant
        remaining = duration
        for day in self._days_from(instant):
            for a, b in self.intervals_on(day):
                if b <= instant:
                    continue
                start = max(a, instant)
                available = b - start
                if remaining <= available:
                    return start + remaining
                remaining -= available
        raise AssertionError("unreachable")

    def seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds in [start, end); negative when end is before start."""
        start, end = _aware(start), _aware(end)
        if end < start:
            return -self.seconds_between(end, start)
        total = dt.timedelta(0)
        day = start.astimezone(self.tz).date()
        last = end.astimezone(self.tz).date()
        while day <= last:
            for a, b in self.intervals_on(day):
                lo, hi = max(a, start), min(b, end)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total.total_seconds()


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("business-time arithmetic needs timezone-aware datetimes")
    return value


def _subtract(intervals: list[Interval], closures: Sequence[Interval]) -> list[Interval]:
    result = intervals
    for c_start, c_end in closures:
        next_result: list[Interval] = []
        for a, b in result:
            if c_end <= a or c_start >= b:
                next_result.append((a, b))
                continue
            if a < c_start:
                next_result.append((a, c_start))
            if c_end < b:
                next_result.append((c_end, b))
        result = next_result
    return result


def weekdays_hours(
    opens: dt.time, closes: dt.time, *, days: Iterable[int] = range(5)
) -> dict[int, list[Span]]:
    """Convenience: the same hours on the given weekdays (Monday to Friday by default)."""
    return {day: [(opens, closes)] for day in days}
