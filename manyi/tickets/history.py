"""What an approver weighs besides the case (issue: "the approver sees the customer's
history and value"): the customer's tier and spending, their complaints of the past year,
what the company already granted them, and their latest tickets. The same figures appear on
the customer's tracking card."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.core.money import cny
from manyi.customers.card import Figure, card_figure
from manyi.customers.models import Customer

from .models import Proposal, Remedy, Status, Ticket

YEAR = dt.timedelta(days=365)


def customer_history(customer: Customer, *, latest: int = 5) -> dict[str, Any]:
    since = timezone.now() - YEAR
    tickets = Ticket.objects.filter(customer=customer)
    granted = Remedy.objects.filter(
        proposal__ticket__customer=customer,
        proposal__state=Proposal.State.APPROVED,
        proposal__agreement__isnull=False,
        proposal__proposed_at__gte=since,
    ).aggregate(total=Sum("amount"))["total"]
    return {
        "complaints_last_year": tickets.filter(
            ticket_type="complaint", created_at__gte=since
        ).count(),
        "open": tickets.exclude(status=Status.CLOSED).count(),
        "repeats_last_year": tickets.filter(repeat_of__isnull=False, created_at__gte=since).count(),
        "granted_last_year": cny(granted or Decimal("0")),
        "latest": list(tickets.select_related("reason").order_by("-created_at")[:latest]),
    }


@card_figure("tickets")
def _ticket_figures(customer: Customer) -> list[Figure]:
    data = customer_history(customer, latest=0)
    return [
        Figure("open_tickets", _("Open complaints and contacts"), data["open"], 40),
        Figure(
            "complaints_year", _("Complaints in the past year"), data["complaints_last_year"], 41
        ),
        Figure("granted_year", _("Granted in the past year"), data["granted_last_year"], 42),
    ]
