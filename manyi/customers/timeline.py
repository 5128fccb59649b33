"""The customer timeline: one list, newest first, fed by any module.

Two ways in, so later modules never need this app to know them:
- push: `record(customer_id, at, kind, title, ...)` from an event subscriber (idempotent by
  `source` + `kind`, so a redelivered event does not add the line twice);
- pull: `@timeline_source("key")` for records a module keeps in its own table, read when a
  card is shown (transactions are read this way).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy

from .models import Customer, TimelineEntry, Transaction


@dataclass(frozen=True)
class TimelineItem:
    at: dt.datetime
    kind: str
    title: str
    detail: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    source: str = ""


KIND_LABELS: dict[str, Any] = {}


def timeline_kind(kind: str, label: Any) -> None:
    """Give a kind of timeline line its (translatable) label."""
    KIND_LABELS[kind] = label


def kind_label(kind: str) -> Any:
    return KIND_LABELS.get(kind, kind)


def title_of(item: TimelineItem) -> str:
    """The line as the reader reads it: a profile change names the fields changed by their
    labels in the reader's language (the stored title keeps the field names)."""
    changed = item.detail.get("changed") if item.kind == "customer.updated" else None
    if not isinstance(changed, list):
        return item.title
    return "、".join(str(_field_label(name)) for name in changed)


def _field_label(name: Any) -> Any:
    from .models import Contact

    if name == "contacts":
        return Contact._meta.verbose_name_plural
    try:
        return Customer._meta.get_field(str(name)).verbose_name
    except FieldDoesNotExist:
        return name


timeline_kind("customer.created", gettext_lazy("Customer record created"))
timeline_kind("customer.updated", gettext_lazy("Profile changed"))
timeline_kind("customer.merged", gettext_lazy("Duplicates merged into this record"))
timeline_kind("purchase", gettext_lazy("Purchase"))


Source = Callable[[Customer, dt.datetime | None, int], list[TimelineItem]]
_SOURCES: dict[str, Source] = {}


def timeline_source(key: str) -> Callable[[Source], Source]:
    def register(func: Source) -> Source:
        _SOURCES[key] = func
        return func

    return register


def record(
    customer_id: int,
    at: dt.datetime,
    kind: str,
    title: str,
    *,
    detail: dict[str, Any] | None = None,
    url: str = "",
    source: str = "",
) -> TimelineEntry:
    values = {
        "customer_id": customer_id,
        "at": at,
        "title": title[:300],
        "detail": detail or {},
        "url": url,
    }
    if source:
        entry, _created = TimelineEntry.objects.update_or_create(
            source=source, kind=kind, defaults=values
        )
        return entry
    return TimelineEntry.objects.create(kind=kind, source=source, **values)


def append(
    customer_id: int,
    at: dt.datetime,
    kind: str,
    title: str,
    *,
    detail: dict[str, Any] | None = None,
    url: str = "",
    source: str = "",
) -> TimelineEntry:
    """A new line that cannot exist yet (its source names a fresh record): one insert."""
    return TimelineEntry.objects.create(
        customer_id=customer_id,
        at=at,
        kind=kind,
        title=title[:300],
        detail=detail or {},
        url=url,
        source=source,
    )


def timeline_for(
    customer: Customer, *, before: dt.datetime | None = None, limit: int = 50
) -> list[TimelineItem]:
    """The newest `limit` items of every source, merged; page on with `before`."""
    streams = [source(customer, before, limit) for source in _SOURCES.values()]
    merged = heapq.merge(*streams, key=lambda item: item.at, reverse=True)
    return [item for _, item in zip(range(limit), merged, strict=False)]


@timeline_source("entries")
def _entries(customer: Customer, before: dt.datetime | None, limit: int) -> list[TimelineItem]:
    rows = TimelineEntry.objects.filter(customer=customer)
    if before is not None:
        rows = rows.filter(at__lt=before)
    return [
        TimelineItem(r.at, r.kind, r.title, r.detail, r.url, r.source)
        for r in rows.order_by("-at")[:limit]
    ]


@timeline_source("profile")
def _profile(customer: Customer, before: dt.datetime | None, limit: int) -> list[TimelineItem]:
    if before is not None and customer.created_at >= before:
        return []
    return [TimelineItem(customer.created_at, "customer.created", customer.name)]


@timeline_source("transactions")
def _transactions(customer: Customer, before: dt.datetime | None, limit: int) -> list[TimelineItem]:
    rows = Transaction.objects.filter(customer=customer)
    if before is not None:
        rows = rows.filter(occurred_at__lt=before)
    return [
        TimelineItem(
            t.occurred_at,
            "purchase",
            f"{t.product} ¥{t.amount:,.2f}",
            {
                "category": t.category,
                "quantity": str(t.quantity),
                "channel": t.channel,
                "promotion": t.promotion,
            },
            "",
            f"customers.transaction:{t.pk}",
        )
        for t in rows.order_by("-occurred_at")[:limit]
    ]
