"""Building business calendars from the database. Use `calendar_for_branch` everywhere."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from manyi.core.configcache import ConfigCache
from manyi.org.models import Branch

from .engine import (
    BusinessCalendar,
    ChinaStatutoryHolidays,
    DayKind,
    DeclaredHolidays,
    LayeredHolidays,
    Span,
)
from .models import Closure, OfficialDay, OfficialYear, OpeningHours

# Hours for a branch that has none entered: the usual office day, Monday to Friday.
DEFAULT_WEEKLY_HOURS: dict[int, list[Span]] = {
    day: [(dt.time(9, 0), dt.time(18, 0))] for day in range(5)
}


def declared_holidays() -> DeclaredHolidays:
    years = set(OfficialYear.objects.values_list("year", flat=True))
    days = {day: DayKind(kind) for day, kind in OfficialDay.objects.values_list("date", "kind")}
    return DeclaredHolidays(years=years, days=days)


def holiday_source() -> LayeredHolidays:
    return LayeredHolidays([declared_holidays(), ChinaStatutoryHolidays()])


def weekly_hours_of(branch: Branch) -> dict[int, list[Span]]:
    weekly: dict[int, list[Span]] = {}
    for row in OpeningHours.objects.filter(branch=branch):
        weekly.setdefault(row.weekday, []).append((row.opens, row.closes))
    return weekly or {day: list(spans) for day, spans in DEFAULT_WEEKLY_HOURS.items()}


_CALENDARS: ConfigCache[BusinessCalendar] = ConfigCache(
    "calendars",
    depends_on=[
        "org.Branch",
        "businesstime.OpeningHours",
        "businesstime.OfficialDay",
        "businesstime.OfficialYear",
        "businesstime.Closure",
    ],
)


def calendar_for_branch(branch: Branch | None) -> BusinessCalendar:
    """The branch's calendar; with no branch, the company's standard office calendar.
    Calendars are kept between requests and dropped when any of their sources change."""
    key = None if branch is None else (branch.pk, branch.observes_statutory_holidays)
    return _CALENDARS.get(key, lambda: _build_calendar(branch))


def forget_calendars() -> None:
    """After bulk writes, which send no signals."""
    _CALENDARS.clear()
    transaction.on_commit(_CALENDARS.clear)


def _build_calendar(branch: Branch | None) -> BusinessCalendar:
    closures = Closure.objects.filter(branch__isnull=True)
    if branch is not None:
        closures = Closure.objects.filter(Q(branch__isnull=True) | Q(branch=branch))
    observes = branch is None or branch.observes_statutory_holidays
    return BusinessCalendar(
        weekly_hours_of(branch) if branch is not None else DEFAULT_WEEKLY_HOURS,
        holidays=holiday_source() if observes else None,
        closures=list(closures.values_list("starts_at", "ends_at")),
    )


def year_coverage(years: list[int] | None = None) -> list[dict[str, Any]]:
    """Where each year's holidays come from: entered by hand, the package, or nothing."""
    if years is None:
        this_year = timezone.localdate().year
        years = [this_year - 1, this_year, this_year + 1]
    declared = declared_holidays()
    package = ChinaStatutoryHolidays()
    rows = []
    for year in years:
        if declared.knows_year(year):
            source = "entered"
        elif package.knows_year(year):
            source = "package"
        else:
            source = "fallback"
        rows.append({"year": year, "source": source})
    return rows


def unknown_years(years: list[int] | None = None) -> list[int]:
    return [row["year"] for row in year_coverage(years) if row["source"] == "fallback"]
