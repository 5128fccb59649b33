"""The customer figures the satisfaction index is set beside (`@business_outcome`): revenue
per customer, the share of buyers who bought again, and retention from one period to the
next, for the customers of a group of branches."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import business_outcome

from .models import Customer, Transaction


def _span(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min))
    return start, end


def _purchases(branch_ids: list[int], first: dt.date, last: dt.date) -> Any:
    start, end = _span(first, last)
    return Transaction.objects.filter(
        customer__branch_id__in=branch_ids, occurred_at__gte=start, occurred_at__lt=end
    )


@business_outcome("revenue_per_customer", _("Revenue per customer"), _("CNY"), order=10)
def revenue_per_customer(branch_ids: list[int], first: dt.date, last: dt.date) -> float | None:
    customers = Customer.objects.filter(branch_id__in=branch_ids, merged_into__isnull=True)
    count = customers.count()
    if not count:
        return None
    total = _purchases(branch_ids, first, last).aggregate(s=Sum("amount"))["s"] or 0
    return float(total) / count


@business_outcome("repurchase", _("Buyers who bought again"), "%", order=20)
def repurchase(branch_ids: list[int], first: dt.date, last: dt.date) -> float | None:
    buyers = _purchases(branch_ids, first, last).values("customer").annotate(n=Count("pk"))
    counts = [row["n"] for row in buyers]
    if not counts:
        return None
    return 100 * sum(1 for n in counts if n >= 2) / len(counts)


@business_outcome("retention", _("Customers kept from the period before"), "%", order=30)
def retention(branch_ids: list[int], first: dt.date, last: dt.date) -> float | None:
    length = last - first
    before = set(
        _purchases(branch_ids, first - length - dt.timedelta(days=1), first - dt.timedelta(days=1))
        .values_list("customer", flat=True)
        .distinct()
    )
    if not before:
        return None
    now = set(_purchases(branch_ids, first, last).values_list("customer", flat=True).distinct())
    return 100 * len(before & now) / len(before)
