"""The customer app's own lines on the timeline."""

from __future__ import annotations

from manyi.core.events import EventMeta, subscriber

from . import timeline
from .events import CustomersMerged, CustomerUpdated


@subscriber(CustomerUpdated, inline=True)
def on_updated(event: CustomerUpdated, meta: EventMeta) -> None:
    timeline.record(
        event.customer_id,
        meta.occurred_at,
        "customer.updated",
        ", ".join(event.changed),
        detail={"changed": event.changed},
        source=f"core.event:{meta.event_id}",
    )


@subscriber(CustomersMerged, inline=True)
def on_merged(event: CustomersMerged, meta: EventMeta) -> None:
    timeline.record(
        event.kept_id,
        meta.occurred_at,
        "customer.merged",
        ", ".join(f"#{pk}" for pk in event.merged_ids),
        detail={"merged": event.merged_ids},
        source=f"core.event:{meta.event_id}",
    )
