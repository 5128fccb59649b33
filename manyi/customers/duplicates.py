"""Finding probable duplicate customers: the same phone, or the same name and address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from .models import Contact, Customer


@dataclass
class DuplicateGroup:
    reason: Any
    key: str
    customers: list[Customer]


def find_duplicates(user: Any, *, limit: int = 100) -> list[DuplicateGroup]:
    visible = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    groups: list[DuplicateGroup] = []
    phones = (
        Contact.objects.filter(customer__in=visible, kind__in=["mobile", "landline"])
        .values("normalized")
        .annotate(n=Count("customer", distinct=True))
        .filter(n__gt=1)
        .order_by("-n", "normalized")[:limit]
    )
    for row in phones:
        members = list(
            visible.filter(contacts__normalized=row["normalized"])
            .distinct()
            .select_related("branch")
            .order_by("id")
        )
        groups.append(DuplicateGroup(_("Same phone"), row["normalized"], members))
    same_place = (
        visible.exclude(address="")
        .values("name", "address")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n", "name")[:limit]
    )
    for row in same_place:
        members = list(
            visible.filter(name=row["name"], address=row["address"])
            .select_related("branch")
            .order_by("id")
        )
        groups.append(
            DuplicateGroup(_("Same name and address"), f"{row['name']} · {row['address']}", members)
        )
    return groups
