"""The small seeded demo that the crawl and the query-count baseline walk: loaded once per
module inside a transaction that is rolled back, on a clock that starts at the same instant
every run.

The demo writes its year relative to now, and what a page shows (deadlines passed, today's
appointments, whether a branch is open for numbers) changes what it says and queries: a
crawl taken one afternoon would not hold that night. So the clock starts on a working
Tuesday morning in Shanghai and ticks on from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from zoneinfo import ZoneInfo

START = dt.datetime(2026, 11, 24, 10, 7, tzinfo=ZoneInfo("Asia/Shanghai"))


@contextmanager
def clock_from(start: dt.datetime) -> Iterator[None]:
    """`django.utils.timezone.now()` (which the code, Django and the model fields' defaults
    read) tells `start` plus the time elapsed since entering."""
    from django.apps import apps
    from django.utils import timezone

    real = timezone.now
    began = real()

    def now() -> dt.datetime:
        return start.astimezone(dt.UTC) + (real() - began)

    # A field whose default is `timezone.now` holds the function itself (and caches it).
    fields = [f for m in apps.get_models() for f in m._meta.get_fields() if _defaults_to(f, real)]

    def use(clock: object) -> None:
        timezone.now = clock  # type: ignore[assignment]
        for f in fields:
            f.default = clock
            f.__dict__.pop("_get_default", None)

    use(now)
    try:
        yield
    finally:
        use(real)


def _defaults_to(field: object, function: object) -> bool:
    return getattr(field, "default", None) is function


OVERRIDES = {
    "customers": 300,
    "tickets": 60,
    "survey": 200,
    "survey_responses": 60,
    "queue_days": 3,
    "queue_told_days": 1,
}


def demo_site(django_db_blocker: Any) -> Iterator[Any]:
    """The body of a module-scoped fixture: `yield from demo_site(django_db_blocker)`."""
    from django.db import transaction

    from manyi.core.demo import run_demo

    with clock_from(START), django_db_blocker.unblock(), transaction.atomic():
        yield run_demo(seed=2026, log=lambda line: None, overrides=OVERRIDES)
        transaction.set_rollback(True)
