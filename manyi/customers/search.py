"""Customer search: name, pinyin initials, phone (also its last 4 digits), company, tag.

Every branch of the search is an indexed prefix or equality lookup, so it stays fast on a
million customers; results are scoped to what the person may see.
"""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Q, QuerySet

from manyi.analytics.text import normalise, normalise_phone

from .models import Contact, Customer

_LATIN = re.compile(r"[a-zA-Z][a-zA-Z ]*")


def search_customers(
    user: Any, query: str = "", *, tag: str = "", branch_code: str = ""
) -> QuerySet[Customer]:
    customers = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    text = normalise(query)
    if text:
        customers = customers.filter(_matching(text))
    if tag:
        customers = customers.filter(tags__name=normalise(tag))
    if branch_code:
        customers = customers.filter(branch__code=branch_code)
    return customers.order_by("-id")


def _matching(text: str) -> Q:
    digits = normalise_phone(text)
    if digits:
        if len(digits) == 4:
            ids = Contact.objects.filter(last4=digits).values("customer_id")
        else:
            ids = Contact.objects.filter(normalized__prefix=digits).values("customer_id")
        return Q(pk__in=ids) | Q(external_key=text)
    if _LATIN.fullmatch(text):
        key = text.replace(" ", "").lower()
        return Q(name_initials__prefix=key) | Q(name_pinyin__prefix=key) | Q(external_key=text)
    return Q(name__prefix=text) | Q(company_name__prefix=text) | Q(external_key=text)
