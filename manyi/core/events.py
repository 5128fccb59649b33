"""Domain events: typed, written to an outbox in the action's transaction, delivered after commit.

An action calls `emit(SomethingHappened(...))` inside its transaction. The event row and one
delivery row per subscriber are written in that same transaction, so a rollback leaves no
trace and a commit can never lose an event. After the commit, inline subscribers run at once
(still recorded, so a crash in between is healed by the sweeper) and the others run on the
task workers. `sweep_deliveries`, a periodic job, re-dispatches whatever is still pending.

Subscribers live in each app's ``subscribers.py`` (imported at start-up), so the emitter never
knows who listens::

    @subscriber(StaffCreated)
    def welcome(event: StaffCreated, meta: EventMeta) -> None: ...
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from django.db import transaction
from django.utils import timezone

from . import clock
from .tasks import enqueue

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
_DISPATCH_LEASE = dt.timedelta(minutes=5)
_SWEEP_GRACE = dt.timedelta(minutes=1)

_EVENT_TYPES: dict[str, type[DomainEvent]] = {}
_SUBSCRIBERS: dict[str, Subscriber] = {}


@dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Base of all events. Subclasses set `name` ("ticket.closed") and plain-data fields."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            existing = _EVENT_TYPES.get(cls.name)
            if existing is not None and existing.__qualname__ != cls.__qualname__:
                raise ValueError(f"event name {cls.name!r} is already used by {existing}")
            _EVENT_TYPES[cls.name] = cls

    def to_payload(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> DomainEvent:
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in payload.items() if k in known})


@dataclass(frozen=True)
class EventMeta:
    event_id: int
    occurred_at: dt.datetime
    actor_id: int | None


@dataclass(frozen=True)
class Subscriber:
    key: str
    event_name: str
    handler: Callable[[Any, EventMeta], None]
    inline: bool


E = TypeVar("E", bound=DomainEvent)


def event_types() -> dict[str, type[DomainEvent]]:
    return dict(_EVENT_TYPES)


def subscriber(
    event: type[E] | str, *, inline: bool = False, key: str | None = None
) -> Callable[[Callable[[E, EventMeta], None]], Callable[[E, EventMeta], None]]:
    """Register a handler. `inline=True` runs it right after commit in the emitting process
    (light work such as a timeline row); otherwise it runs on a task worker."""
    event_name = event if isinstance(event, str) else event.name

    def register(func: Callable[[E, EventMeta], None]) -> Callable[[E, EventMeta], None]:
        sub_key = key or f"{func.__module__}.{func.__qualname__}"
        _SUBSCRIBERS[sub_key] = Subscriber(sub_key, event_name, func, inline)
        return func

    return register


def unsubscribe(key: str) -> None:
    _SUBSCRIBERS.pop(key, None)


@contextmanager
def subscribed(
    event: type[DomainEvent] | str,
    handler: Callable[[Any, EventMeta], None],
    *,
    inline: bool = False,
) -> Iterator[str]:
    """Subscribe for the duration of a block (tests, one-off scripts)."""
    key = f"temporary.{id(handler)}"
    subscriber(event, inline=inline, key=key)(handler)
    try:
        yield key
    finally:
        unsubscribe(key)


def subscribers_for(event_name: str) -> list[Subscriber]:
    return [s for s in _SUBSCRIBERS.values() if s.event_name in (event_name, "*")]


def emit(event: DomainEvent, *, actor: Any = None) -> Any:  # actor: manyi.org.actors.Actor
    """Record `event` in the current transaction; deliver it once that transaction commits."""
    from .models import EventDelivery, EventRecord

    if not event.name or event.name not in _EVENT_TYPES:
        raise ValueError(f"{type(event).__name__} has no registered event name")
    actor_id = actor.pk if getattr(actor, "is_authenticated", False) else None
    # No savepoint of its own: inside an action's transaction the event shares its fate.
    with transaction.atomic(savepoint=False):
        record = EventRecord.objects.create(
            name=event.name,
            payload=event.to_payload(),
            actor_id=actor_id,
            occurred_at=clock.now(),
        )
        # The sweeper leaves a fresh delivery alone for a grace period: the commit hook
        # normally dispatches it first.
        grace = timezone.now() + _SWEEP_GRACE
        deliveries = EventDelivery.objects.bulk_create(  # one statement for every listener
            [
                EventDelivery(event=record, subscriber=sub.key, due_at=grace)
                for sub in subscribers_for(event.name)
            ]
        )
    if deliveries:
        ids = [d.pk for d in deliveries]
        transaction.on_commit(lambda: dispatch(ids), robust=True)
    return record


def dispatch(delivery_ids: list[int]) -> None:
    """Hand deliveries to their subscribers: inline ones now, the rest to the workers."""
    from .models import EventDelivery

    lease = timezone.now() + _DISPATCH_LEASE
    for delivery in EventDelivery.objects.filter(pk__in=delivery_ids, status="pending"):
        sub = _SUBSCRIBERS.get(delivery.subscriber)
        if sub is not None and sub.inline:
            deliver(delivery.pk)
        else:
            EventDelivery.objects.filter(pk=delivery.pk).update(due_at=lease)
            enqueue(deliver, delivery.pk)


def deliver(delivery_id: int) -> bool:
    """Run one subscriber for one event. The handler's writes and the 'delivered' mark commit
    together, so a handler's database work happens exactly once."""
    from .models import EventDelivery

    try:
        with transaction.atomic():
            delivery = (
                EventDelivery.objects.select_for_update()
                .select_related("event")
                .get(pk=delivery_id)
            )
            if delivery.status != EventDelivery.Status.PENDING:
                return delivery.status == EventDelivery.Status.DONE
            sub = _SUBSCRIBERS.get(delivery.subscriber)
            if sub is None:
                raise LookupError(f"no subscriber {delivery.subscriber!r} in this process")
            event_cls = _EVENT_TYPES[delivery.event.name]
            meta = EventMeta(delivery.event.pk, delivery.event.occurred_at, delivery.event.actor_id)
            sub.handler(event_cls.from_payload(delivery.event.payload), meta)
            delivery.status = EventDelivery.Status.DONE
            delivery.attempts += 1
            delivery.delivered_at = timezone.now()
            delivery.last_error = ""
            delivery.save(update_fields=["status", "attempts", "delivered_at", "last_error"])
            return True
    except EventDelivery.DoesNotExist:
        return False
    except Exception:
        logger.exception("event delivery %s failed", delivery_id)
        _record_failure(delivery_id, traceback.format_exc())
        return False


def _record_failure(delivery_id: int, error: str) -> None:
    from .models import EventDelivery

    with transaction.atomic():
        delivery = EventDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.attempts += 1
        delivery.last_error = error[-4000:]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = EventDelivery.Status.FAILED
        else:  # exponential back-off: 1, 2, 4 ... minutes
            delivery.due_at = timezone.now() + dt.timedelta(minutes=2 ** (delivery.attempts - 1))
        delivery.save(update_fields=["attempts", "last_error", "status", "due_at"])


def sweep_deliveries() -> int:
    """Re-dispatch deliveries that are due: lost after a crash, or waiting for a retry."""
    from .models import EventDelivery

    due = list(
        EventDelivery.objects.filter(status="pending", due_at__lte=timezone.now())
        .order_by("due_at")
        .values_list("pk", flat=True)[:1000]
    )
    if due:
        dispatch(due)
    return len(due)
