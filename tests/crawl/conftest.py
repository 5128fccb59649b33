"""A small demo, loaded once for the crawl tests and rolled back after them, on the
query-count baseline's clock (a working Tuesday morning: the door gives numbers only
during opening hours)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    from django.db import transaction

    from manyi.core.demo import run_demo
    from tests.querycounts.conftest import START, clock_from

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
