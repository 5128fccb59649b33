"""The branch queues' audit actions and the words for their details."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import audit_actions, register_audit_details

from .models import Priority


@audit_actions
class AuditAction(models.TextChoices):
    SETTINGS = "queues.settings", _("Queue rules changed")
    SERVICE_SAVE = "queues.service.save", _("Business saved")
    COUNTER_SAVE = "queues.counter.save", _("Counter saved")
    COUNTER_OPEN = "queues.counter.open", _("Counter opened")
    COUNTER_CLOSE = "queues.counter.close", _("Counter closed")
    APPOINTMENT_BOOK = "queues.appointment.book", _("Appointment booked")
    TICKET_ISSUE = "queues.ticket.issue", _("Number taken")
    TICKET_CALL = "queues.ticket.call", _("Number called")
    TICKET_RECALLED = "queues.ticket.recalled", _("Number called again")
    TICKET_STARTED = "queues.ticket.started", _("Service started")
    TICKET_FINISHED = "queues.ticket.finished", _("Customer served")
    TICKET_NO_SHOW = "queues.ticket.no_show", _("Customer did not come")
    TICKET_TRANSFERRED = "queues.ticket.transferred", _("Number transferred")
    TICKET_PARKED = "queues.ticket.parked", _("Number set aside")
    TICKET_RESUMED = "queues.ticket.resumed", _("Number back in line")
    TICKET_LEAVE = "queues.ticket.leave", _("Customer left the line")


register_audit_details(
    AuditAction,
    {
        "counter": _("counter"),
        "number": _("number"),
        "priority": (_("priority"), Priority),
        "calls": _("calls"),
        "to_service": _("to business"),
        "service": _("business"),
        "note": _("note"),
    },
)
