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


@dataclass(frozen=True, kw_only=True)
class LowScoreGiven(DomainEvent):
    """A response rated something low: the improvement loop calls the customer back.
    `scores` lists each low answer as {question, value, at_most}."""

    name = "survey.low_score"
    response_id: int
    questionnaire: str
    customer_id: int | None
    branch_id: int | None
    agent_id: int | None
    campaign_id: int | None
    channel: str
    scores: tuple[dict[str, object], ...]
