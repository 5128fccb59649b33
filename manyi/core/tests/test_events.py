"""Domain events: delivered after commit, never after a rollback, never lost."""

from __future__ import annotations

from dataclasses import dataclass
from unittest import mock

import pytest
from django.db import transaction

from manyi.core.events import DomainEvent, EventMeta, emit, subscribed, sweep_deliveries
from manyi.core.models import EventDelivery, EventRecord


@dataclass(frozen=True, kw_only=True)
class ThingHappened(DomainEvent):
    name = "test.thing_happened"
    thing_id: int
    tags: list[str]


pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("inline", [True, False])
def test_delivered_after_commit(inline):
    received: list[tuple[ThingHappened, EventMeta]] = []
    with subscribed(ThingHappened, lambda e, m: received.append((e, m)), inline=inline):
        with transaction.atomic():
            emit(ThingHappened(thing_id=7, tags=["a"]))
            assert received == []  # nothing before the commit
        assert len(received) == 1
    event, meta = received[0]
    assert event == ThingHappened(thing_id=7, tags=["a"])
    assert EventRecord.objects.get(pk=meta.event_id).name == "test.thing_happened"
    assert EventDelivery.objects.get().status == "done"


@pytest.mark.parametrize("inline", [True, False])
def test_not_delivered_after_rollback(inline):
    received = []
    with subscribed(ThingHappened, lambda e, m: received.append(e), inline=inline):
        with pytest.raises(RuntimeError), transaction.atomic():
            emit(ThingHappened(thing_id=8, tags=[]))
            raise RuntimeError("the action failed")
        assert received == []
    assert not EventRecord.objects.exists()
    assert not EventDelivery.objects.exists()


def test_failing_subscriber_is_retried_by_the_sweeper():
    calls = []

    def flaky(event, meta):
        calls.append(event.thing_id)
        if len(calls) == 1:
            raise ConnectionError("the webhook endpoint is down")

    with subscribed(ThingHappened, flaky):
        emit(ThingHappened(thing_id=9, tags=[]))
        delivery = EventDelivery.objects.get()
        assert delivery.status == "pending" and delivery.attempts == 1
        assert "webhook endpoint is down" in delivery.last_error
        EventDelivery.objects.filter(pk=delivery.pk).update(
            due_at=delivery.due_at.replace(year=2000)
        )
        assert sweep_deliveries() == 1
    assert calls == [9, 9]
    assert EventDelivery.objects.get().status == "done"


def test_dispatch_lost_in_a_crash_is_recovered_by_the_sweeper():
    """The process dies between commit and dispatch: the delivery row is still there."""
    received = []
    with subscribed(ThingHappened, lambda e, m: received.append(e)):
        with mock.patch("manyi.core.events.dispatch"):  # the crash: dispatch never runs
            emit(ThingHappened(thing_id=10, tags=[]))
        assert received == []
        assert sweep_deliveries() == 0  # within the grace period: left to the commit hook
        EventDelivery.objects.update(due_at=EventDelivery.objects.get().due_at.replace(year=2000))
        assert sweep_deliveries() == 1
    assert [e.thing_id for e in received] == [10]


def test_a_subscriber_sees_only_its_event():
    @dataclass(frozen=True, kw_only=True)
    class OtherThing(DomainEvent):
        name = "test.other_thing"

    received = []
    with subscribed(ThingHappened, lambda e, m: received.append(e)):
        emit(OtherThing())
    assert received == []


def test_an_unregistered_event_is_refused():
    @dataclass(frozen=True, kw_only=True)
    class Nameless(DomainEvent):
        pass

    with pytest.raises(ValueError, match="no registered event name"):
        emit(Nameless())
