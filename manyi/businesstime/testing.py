"""Helpers for code that runs on the real clock (the browser tests' live server, the
benchmarks): not used by the product itself."""

from __future__ import annotations

import datetime as dt

from manyi.org.models import Branch

from .models import OpeningHours
from .services import forget_calendars


def open_around_the_clock(branch: Branch) -> None:
    """Open `branch` every day from 00:00 to 23:59:59, holidays included, so that whatever
    the hour a test or benchmark runs at, numbers can be taken. Straight to the tables: the
    staff's action (`actions.set_opening_hours`) wants an actor and writes an audit entry,
    and sets no holidays aside."""
    branch.observes_statutory_holidays = False
    branch.save(update_fields=["observes_statutory_holidays"])
    OpeningHours.objects.filter(branch=branch).delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(branch=branch, weekday=weekday, opens=dt.time(0), closes=dt.time(23, 59, 59))
        for weekday in range(7)
    )
    forget_calendars()
