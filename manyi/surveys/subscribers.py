"""Survey triggers listen to what happens to customers elsewhere in the product."""

from __future__ import annotations

from typing import Any

from manyi.core.events import EventMeta, subscriber
from manyi.customers.events import TransactionRecorded
from manyi.queues.events import QueueTicketServed
from manyi.tickets.events import TicketClosed

from .events import LowScoreGiven


def _schedule(
    event_name: str, customer_id: int, source: str, meta: Any, agent_id: int | None = None
) -> None:
    from .actions import schedule_triggered

    schedule_triggered(event_name, customer_id, source, meta.occurred_at, agent_id=agent_id)


@subscriber(TicketClosed, inline=True)
def after_ticket_closed(event: TicketClosed, meta: EventMeta) -> None:
    # the answers rate the service of the ticket's owner; a customer we could not reach
    # is not asked either
    if event.outcome == "unreachable":
        return
    _schedule(event.name, event.customer_id, f"ticket:{event.ticket_id}", meta, event.assignee_id)


@subscriber(TransactionRecorded, inline=True)
def after_purchase(event: TransactionRecorded, meta: EventMeta) -> None:
    _schedule(event.name, event.customer_id, f"transaction:{event.transaction_id}", meta)


@subscriber(QueueTicketServed, inline=True)
def after_queue_served(event: QueueTicketServed, meta: EventMeta) -> None:
    if event.customer_id:  # a walk-in who gave no name cannot be asked
        _schedule(event.name, event.customer_id, f"queue:{event.ticket_id}", meta, event.staff_id)


def schedule_for(
    event_name: str, customer_id: int, source: str, meta: Any, agent_id: int | None = None
) -> None:
    """For the visit and queue modules: call from their own subscribers (`agent_id`: the
    staff member who served the customer)."""
    _schedule(event_name, customer_id, source, meta, agent_id)


@subscriber(LowScoreGiven)
def tell_the_account_manager(event: LowScoreGiven, meta: EventMeta) -> None:
    """A customer with an account manager rated something low: the manager hears of it."""
    from manyi.customers.models import Customer
    from manyi.notifications.actions import notify
    from manyi.notifications.models import Kind

    from .models import Questionnaire, Response

    if event.customer_id is None:
        return
    customer = Customer.objects.select_related("account_manager").filter(pk=event.customer_id)
    customer = customer.first()
    if customer is None or customer.account_manager is None:
        return
    survey = Questionnaire.objects.filter(code=event.questionnaire).first()
    answered = Response.objects.filter(pk=event.response_id).values_list(
        "version__definition", flat=True
    )
    definition = answered.first() or {}
    labels = {str(q.get("name")): q.get("labels") or {} for q in definition.get("questions") or []}
    notify(
        [customer.account_manager],
        Kind.LOW_SCORE,
        source=f"event:{meta.event_id}",
        at=meta.occurred_at,
        params={
            "customer": customer.name,
            "survey": survey.title if survey is not None else event.questionnaire,
            # each low answer with the question's texts, so the notice names the question in
            # its reader's language (kinds.detail), not by its code
            "scores": [
                {
                    "question": str(s.get("question")),
                    "labels": labels.get(str(s.get("question")), {}),
                    "value": _number(s.get("value")),
                }
                for s in event.scores
            ],
        },
        url=f"/customers/{customer.pk}/",
    )


def _number(value: Any) -> Any:
    """3.0 as 3: a score reads as the respondent gave it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
