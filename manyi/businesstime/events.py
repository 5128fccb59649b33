from __future__ import annotations

from dataclasses import dataclass

from manyi.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class OfficialYearDeclared(DomainEvent):
    name = "calendar.year_declared"
    year: int
    holidays: int
    workdays: int


@dataclass(frozen=True, kw_only=True)
class ClosureAdded(DomainEvent):
    name = "calendar.closure_added"
    closure_id: int
    branch_id: int | None


@dataclass(frozen=True, kw_only=True)
class OpeningHoursChanged(DomainEvent):
    name = "calendar.opening_hours_changed"
    branch_id: int
