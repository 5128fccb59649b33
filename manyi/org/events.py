"""Domain events of the organisation app."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class StaffCreated(DomainEvent):
    name = "org.staff_created"
    staff_id: int
    role: str
    branch_ids: list[int]


@dataclass(frozen=True, kw_only=True)
class StaffUpdated(DomainEvent):
    name = "org.staff_updated"
    staff_id: int
    changed: list[str]


@dataclass(frozen=True, kw_only=True)
class ApiTokenCreated(DomainEvent):
    name = "org.api_token_created"
    token_id: int
    user_id: int


@dataclass(frozen=True, kw_only=True)
class ApiTokenRevoked(DomainEvent):
    name = "org.api_token_revoked"
    token_id: int
    user_id: int


@dataclass(frozen=True, kw_only=True)
class OrganisationChanged(DomainEvent):
    """A region, branch or department was added or changed."""

    name = "org.organisation_changed"
    model: str
    object_id: int
