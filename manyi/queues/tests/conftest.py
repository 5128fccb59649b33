"""A branch with two businesses and three counters, on a working Tuesday morning."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from manyi.core import clock
from manyi.queues.models import Counter, CounterService, ServiceType

TUESDAY_10AM = timezone.make_aware(dt.datetime(2026, 11, 24, 10, 0))


@dataclass
class Hall:
    personal: ServiceType
    business: ServiceType
    counters: dict[int, Counter]


@pytest.fixture(autouse=True)
def _fresh_limits():
    """The phone pages count numbers per phone and address in the cache."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def at_ten():
    """Clock at 10:00 on a working day; `at_ten(minutes)` moves it on."""
    state: dict[str, Any] = {"ctx": clock.as_of(TUESDAY_10AM)}
    state["ctx"].__enter__()

    def move(minutes: float) -> dt.datetime:
        state["ctx"].__exit__(None, None, None)
        when = TUESDAY_10AM + dt.timedelta(minutes=minutes)
        state["ctx"] = clock.as_of(when)
        state["ctx"].__enter__()
        return when

    yield move
    state["ctx"].__exit__(None, None, None)


@pytest.fixture
def hall(org, at_ten) -> Hall:
    personal = ServiceType.objects.create(branch=org.a1, prefix="A", name="个人业务", position=1)
    business = ServiceType.objects.create(branch=org.a1, prefix="B", name="对公业务", position=2)
    counters = {}
    for number, services in ((1, [personal, business]), (2, [business, personal]), (3, [personal])):
        counter = Counter.objects.create(branch=org.a1, number=number, name=f"{number}号窗口")
        for preference, service in enumerate(services, start=1):
            CounterService.objects.create(counter=counter, service=service, preference=preference)
        counters[number] = counter
    return Hall(personal, business, counters)
