"""Customer search: name, pinyin initials, phone (also its last 4 digits), company, tag.

Every branch of the search is an indexed prefix or equality lookup, so it stays fast on a
million customers; results are scoped to what the person may see.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import QuerySet

from manyi.analytics.text import normalise, normalise_phone
from manyi.org.scoping import visible_branch_ids

from .models import Contact, Customer

_LATIN = re.compile(r"[a-zA-Z][a-zA-Z ]*")


# A search term that matches more customers than this shows the newest CANDIDATES of them
# (twenty pages at the counter);
# anything more specific (a full name, a phone) is complete.
CANDIDATES = 500


def search_customers(
    user: Any, query: str = "", *, tag: str = "", branch_code: str = ""
) -> QuerySet[Customer]:
    text = normalise(query)
    if text:
        # Only a primary-key list reaches the database: no planner can pick a worse index.
        customers = Customer.objects.filter(pk__in=_in_scope(user, candidate_ids(text)))
    else:
        customers = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    if tag:
        customers = customers.filter(tags__name=normalise(tag))
    if branch_code:
        customers = customers.filter(branch__code=branch_code)
    return customers.order_by("-id")


def _in_scope(user: Any, ids: list[int]) -> list[int]:
    """The candidates the person may see (same rule as `visible_to`), merged records out."""
    visible = visible_branch_ids(user)
    rows = Customer.objects.filter(pk__in=ids).values_list("id", "branch_id", "merged_into_id")
    return [
        pk for pk, branch_id, merged_into in rows if merged_into is None and branch_id in visible
    ]


def candidate_ids(text: str) -> list[int]:
    """The ids of the newest customers matching `text`, found through one selective index at a
    time. Resolving the ids first keeps every database on the selective index, instead of
    letting a planner walk a whole branch and test each row (SQLite does that without
    statistics)."""
    ids: set[int] = set()
    for condition in _conditions(text):
        ids.update(
            condition.order_by("-customer_id" if condition.model is Contact else "-id").values_list(
                "customer_id" if condition.model is Contact else "id", flat=True
            )[:CANDIDATES]
        )
    return sorted(ids, reverse=True)[:CANDIDATES]


def _conditions(text: str) -> list[QuerySet]:
    by_key = Customer.objects.filter(external_key=text)
    digits = normalise_phone(text)
    if digits:
        if len(digits) == 4:
            return [Contact.objects.filter(last4=digits), by_key]
        return [Contact.objects.filter(normalized__prefix=digits), by_key]
    if _LATIN.fullmatch(text):
        key = text.replace(" ", "").lower()
        return [
            Customer.objects.filter(name_initials__prefix=key),
            Customer.objects.filter(name_pinyin__prefix=key),
            by_key,
        ]
    return [
        Customer.objects.filter(name__prefix=text),
        Customer.objects.filter(company_name__prefix=text),
        by_key,
    ]
