"""The time actions record: now, unless history is being entered.

Loading past records (the demo's year of tickets, or complaints carried over from an older
system) must give each step the time it really happened, so that response times, breaches
and reports come out as they were. `as_of(instant)` sets that time for the steps run inside
it; everywhere else `now()` is simply the current time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_AS_OF: ContextVar[dt.datetime | None] = ContextVar("manyi_as_of", default=None)


def now() -> dt.datetime:
    return _AS_OF.get() or timezone.now()


@contextmanager
def as_of(instant: dt.datetime) -> Iterator[dt.datetime]:
    if timezone.is_naive(instant):
        raise ValueError("as_of needs an aware datetime")
    token = _AS_OF.set(instant)
    try:
        yield instant
    finally:
        _AS_OF.reset(token)
