"""Domain events of the surveys app (the improvement loop listens to low scores)."""

from __future__ import annotations

from dataclasses import dataclass

from manyi.core.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SurveyAnswered(DomainEvent):
    name = "survey.answered"
    response_id: int
    questionnaire: str
    version: int
    customer_id: int | None
    branch_id: int | None
    channel: str
