"""How many times something may happen in a window, counted in the shared cache (Redis in
production, the file cache on one machine), so every worker process sees the same count.

Used where anyone on the internet can knock: the public feedback widget, the kiosk and the
phone pages that issue numbers, survey links (token guessing) and the login form (failed
logins from one address across user names)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.http import HttpRequest


@dataclass(frozen=True)
class Limit:
    name: str
    times: int
    seconds: int


# A fixed window per key: simple, and fair enough for keeping abuse out.
FEEDBACK_PER_ADDRESS = Limit("feedback:ip", 20, 600)
# A real rush at one kiosk is a number every few seconds; a script is many a second.
NUMBERS_PER_KIOSK = Limit("queues:kiosk", 60, 60)
# Someone who mistypes a survey link a few times is fine; guessing tokens is not.
BAD_TOKENS_PER_ADDRESS = Limit("surveys:badtoken:ip", 20, 600)
# Spraying passwords across user names from one address (axes locks a name per address).
FAILED_LOGINS_PER_ADDRESS = Limit("login:failed:ip", 20, 900)
# A QR code at the branch door or a remote check-in: a few numbers per phone, more per
# address (a family, a shared network).
NUMBERS_PER_PHONE = Limit("queues:take:phone", 3, 600)
NUMBERS_PER_ADDRESS = Limit("queues:take:ip", 30, 600)


def address(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "-"


def _key(limit: Limit, who: str) -> str:
    return f"ratelimit:{limit.name}:{who}"


def hit(limit: Limit, who: str) -> bool:
    """Count one more; True when this one is over the limit."""
    key = _key(limit, who)
    cache.add(key, 0, timeout=limit.seconds)
    try:
        return cache.incr(key) > limit.times
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds)
        return False


def exceeded(limit: Limit, who: str) -> bool:
    """Whether the limit is already used up, without counting."""
    return (cache.get(_key(limit, who)) or 0) >= limit.times
