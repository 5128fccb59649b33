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
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Status, Ticket

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


def escalate_breaches(now: dt.datetime | None = None) -> int:
    """Raise the escalation level of every ticket whose breaches grew; returns how many.
    The periodic job (`tasks.py`) and the demo call it; each raise is `actions.escalate`."""
    from .actions import escalate

    now = now or timezone.now()
    ids = list(breached(Ticket.objects.all(), now).values_list("pk", flat=True))
    return sum(escalate(ticket_id, now) for ticket_id in ids)
