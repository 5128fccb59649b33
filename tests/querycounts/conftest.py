"""A small demo, loaded once for the query-count baseline and rolled back after it, on a
clock that starts at the same instant every run.

The demo writes its year relative to now, and what a page shows (deadlines passed, today's
appointments, whether a branch is open for numbers) changes what it queries: a baseline
taken one afternoon would not hold that night. So the module's clock starts on a working
Tuesday morning in Shanghai and ticks on from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

import pytest

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


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    from django.db import transaction

    from manyi.core.demo import run_demo

    with clock_from(START), django_db_blocker.unblock(), transaction.atomic():
        ctx = run_demo(
            seed=2026,
            log=lambda line: None,
            overrides={
                "customers": 300,
                "tickets": 60,
                "survey": 200,
                "survey_responses": 60,
                "queue_days": 3,
                "queue_told_days": 1,
            },
        )
        yield ctx
        transaction.set_rollback(True)
