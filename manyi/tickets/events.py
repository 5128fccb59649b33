"""Domain events of the tickets app (the survey module subscribes to TicketClosed)."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class TicketCreated(DomainEvent):
    name = "ticket.created"
    ticket_id: int
    branch_id: int
    customer_id: int
    repeat_of: int | None = None


@dataclass(frozen=True, kw_only=True)
class TicketTransitioned(DomainEvent):
    name = "ticket.transitioned"
    ticket_id: int
    branch_id: int
    action: str
    from_status: str
    to_status: str


@dataclass(frozen=True, kw_only=True)
class TicketClosed(DomainEvent):
    name = "ticket.closed"
    ticket_id: int
    branch_id: int
    customer_id: int
    ticket_type: str
    reason: str
    assignee_id: int | None = None  # the staff member who served the customer
    outcome: str = "resolved"  # ClosingOutcome: resolved, declined, unreachable


@dataclass(frozen=True, kw_only=True)
class TicketEscalated(DomainEvent):
    name = "ticket.escalated"
    ticket_id: int
    branch_id: int
    level: int
    role: str
    breaches: list[str]
