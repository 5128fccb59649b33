"""Waves of a survey programme: the period a day falls in (quarter, half-year, month, year)
and its name in the reader's language. The survey data set names its `wave` column with
the same words, so a programme's wave and a comparison's group read alike."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

CUTS = ("quarter", "half", "month", "year")


def period_of(day: dt.date, cut: str) -> tuple[dt.date, dt.date]:
    """The first and last day of the period `day` lies in."""
    if cut == "month":
        start = day.replace(day=1)
        months = 1
    elif cut == "year":
        start = day.replace(month=1, day=1)
        months = 12
    elif cut == "half":
        start = day.replace(month=1 if day.month <= 6 else 7, day=1)
        months = 6
    else:
        start = day.replace(month=3 * ((day.month - 1) // 3) + 1, day=1)
        months = 3
    year, month = divmod(start.month - 1 + months, 12)
    following = dt.date(start.year + year, month + 1, 1)
    return start, following - dt.timedelta(days=1)


def next_period(start: dt.date, cut: str) -> dt.date:
    return period_of(start, cut)[1] + dt.timedelta(days=1)


def label(day: dt.date | dt.datetime, cut: str) -> str:
    if cut == "month":
        return _("%(y)d-%(m)02d") % {"y": day.year, "m": day.month}
    if cut == "year":
        return _("%(y)d") % {"y": day.year}
    if cut == "half":
        if day.month <= 6:
            return _("H1 %(y)d") % {"y": day.year}
        return _("H2 %(y)d") % {"y": day.year}
    return _("Q%(q)d %(y)d") % {"q": (day.month - 1) // 3 + 1, "y": day.year}


def periods(first: dt.date, last: dt.date, cut: str) -> list[tuple[dt.date, dt.date]]:
    """Every period from the one `first` lies in to the one `last` lies in."""
    found = []
    start = period_of(first, cut)[0]
    while start <= last:
        found.append(period_of(start, cut))
        start = next_period(start, cut)
    return found
