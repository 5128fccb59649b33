"""Domain events of the branch queues (survey triggers listen to a served ticket)."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class QueueTicketServed(DomainEvent):
    name = "queue.served"
    ticket_id: int
    branch_id: int
    customer_id: int | None
    staff_id: int | None
    service: str
    waited_s: float
    served_s: float
