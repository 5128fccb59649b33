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
    keys = [row["normalized"] for row in phones]
    by_phone: dict[str, list[Customer]] = {key: [] for key in keys}
    sharing = (
        Contact.objects.filter(normalized__in=keys, customer__in=visible)
        .select_related("customer__branch")
        .order_by("customer_id")
    )
    for contact in sharing:
        members = by_phone[contact.normalized]
        if contact.customer not in members:
            members.append(contact.customer)
    groups.extend(DuplicateGroup(_("Same phone"), key, by_phone[key]) for key in keys)
    same_place = (
        visible.exclude(address="")
        .values("name", "address")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n", "name")[:limit]
    )
    pairs = [(row["name"], row["address"]) for row in same_place]
    by_place: dict[tuple[str, str], list[Customer]] = {pair: [] for pair in pairs}
    candidates = (
        visible.filter(name__in={n for n, _a in pairs}, address__in={a for _n, a in pairs})
        .select_related("branch")
        .order_by("id")
    )
    for customer in candidates:
        if (customer.name, customer.address) in by_place:
            by_place[(customer.name, customer.address)].append(customer)
    groups.extend(
        DuplicateGroup(_("Same name and address"), f"{name} · {address}", by_place[(name, address)])
        for name, address in pairs
    )
    return groups
