"""Demo opening hours: weekdays for every branch, Saturday mornings for the big-city ones."""

from __future__ import annotations

import datetime as dt

from manyi.core.demo import DemoContext, demo_step

from .models import OpeningHours
from .services import forget_calendars

SATURDAY_CITIES = {"北京", "上海", "广州", "深圳"}


@demo_step("businesstime", order=20)
def make_opening_hours(ctx: DemoContext) -> None:
    rows = []
    for branch in ctx.data["branches"].values():
        for weekday in range(5):
            rows.append(
                OpeningHours(branch=branch, weekday=weekday, opens=dt.time(9), closes=dt.time(17))
            )
        if branch.city in SATURDAY_CITIES:
            rows.append(
                OpeningHours(branch=branch, weekday=5, opens=dt.time(9), closes=dt.time(12, 30))
            )
    OpeningHours.objects.bulk_create(rows)
    forget_calendars()
    ctx.log(f"opening hours: {len(rows)} rows")
