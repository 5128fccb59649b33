"""SLA breaches and escalation, checked every few minutes by a periodic job.

A ticket's escalation level is the number of its deadlines that have passed unmet:
first response, the same-day reply and resolution. Each new level is written to the audit
trail and the ticket's history, and emitted as an event; level 1 concerns the supervisor,
2 the department head, 3 the manager. Clocks stopped while waiting for the customer do
not breach.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.core.events import emit
from manyi.core.tasks import periodic
from manyi.org import audit

from .events import TicketEscalated
from .models import Activity, Status, Ticket

ESCALATION_ROLES = {1: "supervisor", 2: "department_head", 3: "manager"}


def breached(queryset: QuerySet[Ticket], now: dt.datetime | None = None) -> QuerySet[Ticket]:
    """Open tickets with at least one passed, unmet deadline (clock running)."""
    now = now or timezone.now()
    return queryset.exclude(status=Status.CLOSED).filter(
        Q(first_response_due__lt=now, first_responded_at__isnull=True)
        | Q(reply_due__lt=now, first_responded_at__isnull=True)
        | Q(reply_due__lt=now, first_responded_at__gt=F("reply_due"))
        | Q(resolution_due__lt=now, resolved_at__isnull=True),
        paused_at__isnull=True,
    )


def breaches_of(ticket: Ticket, now: dt.datetime) -> list[str]:
    found = []
    responded = ticket.first_responded_at
    if ticket.first_response_due and ticket.first_response_due < now and responded is None:
        found.append("first_response")
    if (
        ticket.reply_due
        and ticket.reply_due < now
        and (responded is None or responded > ticket.reply_due)
    ):
        found.append("reply")
    if ticket.resolution_due and ticket.resolution_due < now and ticket.resolved_at is None:
        found.append("resolution")
    return found


BREACHES = {
    "first_response": gettext_lazy("first response"),
    "reply": gettext_lazy("same-day reply"),
    "resolution": gettext_lazy("resolution"),
}


def escalation_note(kinds: list[str], role: str) -> str:
    """The note left on the ticket, in the company's language (written by the job)."""
    from .actions import role_label

    with translation.override(settings.LANGUAGE_CODE):
        return _("Past the deadline for %(kinds)s; escalated to a %(role)s.") % {
            "kinds": "、".join(str(BREACHES.get(k, k)) for k in kinds),
            "role": role_label(role),
        }


@periodic("tickets.escalate_breaches", minutes=5)
def escalate_breaches(now: dt.datetime | None = None) -> int:
    """Raise the escalation level of every ticket whose breaches grew; returns how many."""
    now = now or timezone.now()
    raised = 0
    for ticket_id in list(breached(Ticket.objects.all(), now).values_list("pk", flat=True)):
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update().get(pk=ticket_id)
            kinds = breaches_of(ticket, now)
            level = min(len(kinds), 3)
            if ticket.paused_at is not None or level <= ticket.escalation_level:
                continue
            before = ticket.escalation_level
            ticket.escalation_level = level
            ticket.save(update_fields=["escalation_level"])
            Activity.objects.create(
                ticket=ticket,
                kind=Activity.Kind.NOTE,
                text=escalation_note(kinds, ESCALATION_ROLES[level]),
                at=now,
            )
            audit.record(
                "system:sla",
                "tickets.escalate",
                ticket,
                before={"escalation_level": before},
                after={"escalation_level": level, "breaches": kinds},
            )
            emit(
                TicketEscalated(
                    ticket_id=ticket.pk,
                    branch_id=ticket.branch_id,
                    level=level,
                    role=ESCALATION_ROLES[level],
                    breaches=kinds,
                ),
                actor="system:sla",
            )
            raised += 1
    return raised
