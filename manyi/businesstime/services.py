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
    return weekly_hours_for([branch])[branch.pk]


def weekly_hours_for(branches: list[Branch]) -> dict[int, dict[int, list[Span]]]:
    """The weekly hours of many branches by branch id, in one query (a page listing every
    branch would otherwise ask once per branch); a branch with none entered gets the
    default office week."""
    weekly: dict[int, dict[int, list[Span]]] = {branch.pk: {} for branch in branches}
    rows = OpeningHours.objects.filter(branch__in=list(weekly)).order_by(
        "branch", "weekday", "opens"
    )
    for branch_id, weekday, opens, closes in rows.values_list(
        "branch_id", "weekday", "opens", "closes"
    ):
        weekly[branch_id].setdefault(weekday, []).append((opens, closes))
    return {
        pk: hours or {day: list(spans) for day, spans in DEFAULT_WEEKLY_HOURS.items()}
        for pk, hours in weekly.items()
    }


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


def _key(branch: Branch | None) -> tuple[int, bool] | None:
    return None if branch is None else (branch.pk, branch.observes_statutory_holidays)


def calendar_for_branch(branch: Branch | None) -> BusinessCalendar:
    """The branch's calendar; with no branch, the company's standard office calendar.
    Calendars are kept between requests and dropped when any of their sources change."""
    return _CALENDARS.get(_key(branch), lambda: _build_calendar(branch))


def calendars_for_branches(branches: list[Branch]) -> dict[int, BusinessCalendar]:
    """The calendars of many branches by branch id, those not kept yet built together in
    a fixed number of queries however many branches there are (a page that lists them)."""
    by_key = {_key(branch): branch for branch in branches}

    def build(keys: list[Any]) -> dict[Any, BusinessCalendar]:
        built = _build_calendars([by_key[key] for key in keys])
        return {key: built[by_key[key].pk] for key in keys}

    found = _CALENDARS.get_many(list(by_key), build)
    return {by_key[key].pk: calendar for key, calendar in found.items()}


def forget_calendars() -> None:
    """After bulk writes, which send no signals."""
    _CALENDARS.clear()
    transaction.on_commit(_CALENDARS.clear)


def _build_calendar(branch: Branch | None) -> BusinessCalendar:
    if branch is not None:
        return _build_calendars([branch])[branch.pk]
    return BusinessCalendar(
        DEFAULT_WEEKLY_HOURS,
        holidays=holiday_source(),
        closures=list(
            Closure.objects.filter(branch__isnull=True).values_list("starts_at", "ends_at")
        ),
    )


def _build_calendars(branches: list[Branch]) -> dict[int, BusinessCalendar]:
    """Calendars of `branches` by id from one read of hours, closures and holidays."""
    if not branches:
        return {}
    hours = weekly_hours_for(branches)
    closures: dict[int | None, list[tuple[dt.datetime, dt.datetime]]] = {}
    rows = Closure.objects.filter(Q(branch__isnull=True) | Q(branch__in=[b.pk for b in branches]))
    for branch_id, starts_at, ends_at in rows.values_list("branch_id", "starts_at", "ends_at"):
        closures.setdefault(branch_id, []).append((starts_at, ends_at))
    everywhere = closures.get(None, [])
    holidays = holiday_source() if any(b.observes_statutory_holidays for b in branches) else None
    return {
        branch.pk: BusinessCalendar(
            hours[branch.pk],
            holidays=holidays if branch.observes_statutory_holidays else None,
            closures=everywhere + closures.get(branch.pk, []),
        )
        for branch in branches
    }


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
