"""Rarely-changing configuration kept in process memory between requests.

Registering a ticket reads a dozen settings that change a few times a year (the branch's
calendar, SLA policies, assignment rules, a person's branches). Reading them from the
database on every request costs more than the work itself, so each is cached here per
process. A cache is dropped in this process as soon as one of the models it depends on is
saved or deleted (and again when that transaction commits); other processes pick the change
up within `ttl` seconds. Callers get copies of cached model instances, never shared ones.

Known limit: a value computed inside a transaction from a change that is then rolled back
stays until `ttl` runs out (the commit hook that would drop it never fires).
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

T = TypeVar("T")

_REGISTRY: list[ConfigCache[Any]] = []


class ConfigCache(Generic[T]):
    def __init__(
        self,
        name: str,
        *,
        depends_on: Iterable[str],
        ttl: float = 30.0,
        keep_none: bool = True,
        max_entries: int | None = None,
    ) -> None:
        """`depends_on` names models as "app_label.ModelName" or, for a many-to-many field,
        "app_label.ModelName.field". With `keep_none=False` a None result (a lookup that
        found nothing) is not kept, so unknown keys cannot fill the cache."""
        self.name = name
        self.ttl = ttl
        self.keep_none = keep_none
        self.max_entries = max_entries  # beyond this many keys the cache starts afresh
        self._generation = 0
        self._depends_on = tuple(depends_on)
        self._entries: dict[Hashable, tuple[float, T]] = {}
        self._lock = threading.Lock()
        self._connected = False
        _REGISTRY.append(self)

    def get(self, key: Hashable, compute: Callable[[], T], *, copied: bool = True) -> T:
        """The cached value (computed when missing or older than `ttl`). With
        `copied=False` the caller gets the shared value and must not change it."""
        self._connect()
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.ttl:
            value = entry[1]
        else:
            generation = self._generation
            value = compute()
            with self._lock:
                # A change while computing makes the value suspect: use it, do not keep it.
                if generation == self._generation and (value is not None or self.keep_none):
                    if self.max_entries and len(self._entries) >= self.max_entries:
                        self._entries.clear()
                    self._entries[key] = (now, value)
        return _copied(value) if copied else value

    def get_many(
        self,
        keys: Iterable[Hashable],
        compute: Callable[[list[Hashable]], dict[Hashable, T]],
    ) -> dict[Hashable, T]:
        """The shared values of `keys`, those missing computed in one call of `compute`
        (given the missing keys; keys it leaves out are not kept). For values that are
        written once and never change, such as what a ticket was told when it was made."""
        self._connect()
        now = time.monotonic()
        found: dict[Hashable, T] = {}
        missing: list[Hashable] = []
        for key in keys:
            entry = self._entries.get(key)
            if entry is not None and now - entry[0] < self.ttl:
                found[key] = entry[1]
            else:
                missing.append(key)
        if missing:
            generation = self._generation
            computed = compute(missing)
            found.update(computed)
            with self._lock:
                if generation == self._generation:
                    if self.max_entries and len(self._entries) + len(computed) > self.max_entries:
                        self._entries.clear()
                    for key, value in computed.items():
                        self._entries[key] = (now, value)
        return found

    def remember(self, key: Hashable, value: T) -> None:
        """Keep a value just made elsewhere (written once, so never stale)."""
        with self._lock:
            if self.max_entries and len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[key] = (time.monotonic(), value)

    def forget(self, key: Hashable) -> None:
        """Drop one key (read afresh next time), as when another process may have changed
        what it stands for."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self, *_args: Any, **_kwargs: Any) -> None:
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def _changed(self, *_args: Any, **_kwargs: Any) -> None:
        self.clear()
        transaction.on_commit(self.clear)

    def _connect(self) -> None:
        """Listen to the models' signals (lazily: the apps must be loaded first)."""
        if self._connected:
            return
        from django.apps import apps

        for label in self._depends_on:
            parts = label.split(".")
            model = apps.get_model(parts[0], parts[1])
            uid = f"configcache:{self.name}:{label}"
            if len(parts) == 3:
                through = getattr(model, parts[2]).through
                m2m_changed.connect(self._changed, sender=through, weak=False, dispatch_uid=uid)
            else:
                post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=uid)
                post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=uid)
        self._connected = True


def _copied(value: T) -> T:
    """Model instances (alone or in a list or dict) are copied so a caller that changes one
    does not change the cached one."""
    from django.db.models import Model

    if isinstance(value, Model):
        return copy.copy(value)
    if isinstance(value, list) and value and isinstance(value[0], Model):
        return [copy.copy(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, dict) and value and isinstance(next(iter(value.values())), Model):
        return {k: copy.copy(v) for k, v in value.items()}  # type: ignore[return-value]
    return value


def clear_all() -> None:
    """Forget every cached value (tests call this before each test)."""
    for cache in _REGISTRY:
        cache.clear()
