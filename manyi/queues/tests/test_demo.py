"""The demo's queue history: three busy branches, real-looking days, read by the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count, F
from django.utils import timezone

from manyi.core.demo import run_demo
from manyi.org.models import Staff
from manyi.queues.models import QueueEvent, QueueTicket
from tests.demo_site import START, clock_from

pytestmark = pytest.mark.django_db


def test_weeks_of_queue_history_for_three_branches(client):
    # On a fixed clock: the fortnight generated ends today, and which weekdays and holidays
    # it holds moves the shares (the no-shows of a fortnight ending on a Friday broke the
    # bound below on 2026-12-04). The figures are checked for one known fortnight.
    with clock_from(START):
        run_demo(
            seed=3,
            log=lambda line: None,
            overrides={"customers": 300, "tickets": 20, "survey_responses": 0, "queue_days": 14},
        )
        _check_the_history(client)


def _check_the_history(client) -> None:
    by_branch = dict(
        QueueTicket.objects.values_list("branch__code").annotate(n=Count("pk")).order_by()
    )
    assert set(by_branch) == {"SH01", "BJ01", "GZ01"}
    assert by_branch["SH01"] > by_branch["GZ01"] > 14 * 100  # busier and quieter branches
    statuses = dict(QueueTicket.objects.values_list("status").annotate(n=Count("pk")).order_by())
    assert statuses["done"] > 10 * (statuses.get("no_show", 0) + statuses.get("abandoned", 0))
    assert statuses.get("no_show") and statuses.get("abandoned")
    priorities = set(QueueTicket.objects.values_list("priority", flat=True).distinct())
    assert {"ordinary", "vip", "elderly", "appointment"} <= priorities
    assert QueueEvent.objects.filter(kind="called").count() >= statuses["done"]
    manager = Staff.objects.filter(role="manager").first()
    client.force_login(manager.user, backend="django.contrib.auth.backends.ModelBackend")
    page = client.get("/queues/stats/?branch=SH01&start=2000-01-01")
    assert page.status_code == 200 and page.context["figures"].overall["tickets"] > 1000
    # the last week's numbers carry the wait told at the kiosk, and it was honest
    told = QueueTicket.objects.filter(estimate_s__isnull=False)
    last_week = timezone.localdate() - dt.timedelta(days=7)
    assert told.count() > 7 * 100 and not told.filter(day__lt=last_week).exists()
    assert not told.filter(estimate_low_s__gt=F("estimate_s")).exists()
    assert not told.filter(estimate_high_s__lt=F("estimate_s")).exists()
    honesty = page.context["figures"].overall["estimates"]
    assert honesty["told"] > 300 and 0.65 <= honesty["within_range"] <= 0.95
    assert 'id="honesty"' in page.content.decode()
