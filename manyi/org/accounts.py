"""The state of a person's login that several pages need: whether it is locked out after
too many failed attempts (django-axes keeps the count), and clearing that count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone


def _cool_off() -> dt.timedelta:
    cool_off = settings.AXES_COOLOFF_TIME
    return cool_off if isinstance(cool_off, dt.timedelta) else dt.timedelta(hours=cool_off)


def locked_out_until(usernames: Iterable[str]) -> dict[str, dt.datetime]:
    """For each of these user names that is locked out now, when the lock-out ends by
    itself (one query for the whole list)."""
    from axes.models import AccessAttempt

    names = list(usernames)
    if not names:
        return {}
    since = timezone.now() - _cool_off()
    found: dict[str, dt.datetime] = {}
    attempts = AccessAttempt.objects.filter(
        username__in=names,
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=since,
    ).values_list("username", "attempt_time")
    for username, at in attempts:
        ends = at + _cool_off()
        found[username] = max(found.get(username, ends), ends)
    return found


def clear_lockout(username: str) -> int:
    """Forget the failed attempts on this user name, from every address; called by the
    actions that lift a lock-out. Returns how many records were cleared."""
    from axes.utils import reset

    return reset(username=username)
