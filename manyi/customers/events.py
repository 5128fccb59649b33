"""Domain events of the customer app."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class CustomerCreated(DomainEvent):
    name = "customer.created"
    customer_id: int
    branch_id: int


@dataclass(frozen=True, kw_only=True)
class CustomerUpdated(DomainEvent):
    name = "customer.updated"
    customer_id: int
    changed: list[str]


@dataclass(frozen=True, kw_only=True)
class TransactionRecorded(DomainEvent):
    name = "customer.transaction_recorded"
    transaction_id: int
    customer_id: int
    amount: str


@dataclass(frozen=True, kw_only=True)
class CustomersMerged(DomainEvent):
    name = "customer.merged"
    kept_id: int
    merged_ids: list[int]


@dataclass(frozen=True, kw_only=True)
class CustomersImported(DomainEvent):
    name = "customer.imported"
    branch_id: int | None
    created: int
    updated: int
    rejected: int


@dataclass(frozen=True, kw_only=True)
class TransactionsImported(DomainEvent):
    """Purchases loaded from a file: one event for the file, not one per row, so history
    carried over from another system does not set off what a new purchase does (the
    surveys' after-purchase invitation)."""

    name = "customer.transactions_imported"
    branch_id: int | None
    created: int
    rejected: int
