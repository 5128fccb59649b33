"""The complaint figure the satisfaction index is set beside (`@business_outcome`)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import business_outcome
from manyi.customers.models import Customer

from .models import Ticket, TicketType


@business_outcome(
    "complaints_per_1000", _("Complaints per 1,000 customers"), _("per 1,000"), order=40
)
def complaints_per_thousand(branch_ids: list[int], first: dt.date, last: dt.date) -> float | None:
    customers = Customer.objects.filter(branch_id__in=branch_ids, merged_into__isnull=True).count()
    if not customers:
        return None
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    complaints = Ticket.objects.filter(
        branch_id__in=branch_ids,
        ticket_type=TicketType.COMPLAINT,
        created_at__gte=start,
        created_at__lt=end,
    ).count()
    return 1000 * complaints / customers
