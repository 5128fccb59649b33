"""Segment rules: a list of conditions, all of which a customer meets.

    [{"field": "tier", "op": "in", "value": ["key", "vip"]},
     {"field": "r_score", "op": "gte", "value": 4},
     {"field": "tag", "op": "eq", "value": "老客户"}]

Only the fields below can be used, so a rule can never reach data it should not.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from manyi.core.money import cny

from .models import Customer, Segment, Transaction

# field -> (ORM path, kind, label)
FIELDS: dict[str, tuple[str, str, Any]] = {
    "tier": ("tier", "text", gettext_lazy("Tier")),
    "lifecycle": ("lifecycle", "text", gettext_lazy("Lifecycle stage")),
    "kind": ("kind", "text", gettext_lazy("Kind")),
    "gender": ("gender", "text", gettext_lazy("Gender")),
    "province": ("province", "text", gettext_lazy("Province")),
    "city": ("city", "text", gettext_lazy("City")),
    "district": ("district", "text", gettext_lazy("District")),
    "region": ("region", "text", gettext_lazy("Sales region")),
    "occupation": ("occupation", "text", gettext_lazy("Occupation")),
    "education": ("education", "text", gettext_lazy("Education")),
    "income_band": ("income_band", "text", gettext_lazy("Income band")),
    "preferred_channel": ("preferred_channel", "text", gettext_lazy("Preferred channel")),
    "callback_consent": ("callback_consent", "bool", gettext_lazy("Agrees to callbacks")),
    "birth_year": ("birth_year", "number", gettext_lazy("Birth year")),
    "r_score": ("r_score", "number", gettext_lazy("Recency score (1-5)")),
    "f_score": ("f_score", "number", gettext_lazy("Frequency score (1-5)")),
    "m_score": ("m_score", "number", gettext_lazy("Monetary score (1-5)")),
    "tag": ("tags__name", "text", gettext_lazy("Tag")),
    "branch": ("branch__code", "text", gettext_lazy("Branch code")),
}
OPERATORS = {
    "eq": "exact",
    "ne": "exact",
    "in": "in",
    "gte": "gte",
    "lte": "lte",
    "gt": "gt",
    "lt": "lt",
}


def validate_rules(rules: Any) -> None:
    if not isinstance(rules, list):
        raise ValidationError(_("Rules must be a list of conditions."))
    errors = []
    for number, rule in enumerate(rules, start=1):
        if not isinstance(rule, dict) or set(rule) - {"field", "op", "value"}:
            errors.append(_("Condition %(n)s must have field, op and value.") % {"n": number})
            continue
        field, op, value = rule.get("field"), rule.get("op"), rule.get("value")
        if field not in FIELDS:
            errors.append(
                _("Condition %(n)s: unknown field “%(field)s”.") % {"n": number, "field": field}
            )
            continue
        if op not in OPERATORS:
            errors.append(
                _("Condition %(n)s: unknown operator “%(op)s”.") % {"n": number, "op": op}
            )
            continue
        kind = FIELDS[field][1]
        values = value if op == "in" else [value]
        if op == "in" and not isinstance(value, list):
            errors.append(_("Condition %(n)s: “in” needs a list of values.") % {"n": number})
        elif kind == "number" and not all(isinstance(v, int | float) for v in values):
            errors.append(
                _("Condition %(n)s: %(field)s needs a number.") % {"n": number, "field": field}
            )
        elif kind == "bool" and not all(isinstance(v, bool) for v in values):
            errors.append(
                _("Condition %(n)s: %(field)s is yes or no.") % {"n": number, "field": field}
            )
        elif kind != "number" and op in {"gte", "lte", "gt", "lt"}:
            errors.append(
                _("Condition %(n)s: %(field)s cannot be compared by size.")
                % {"n": number, "field": field}
            )
    if errors:
        raise ValidationError(errors)


def rules_to_q(rules: list[dict[str, Any]]) -> Q:
    validate_rules(rules)
    condition = Q()
    for rule in rules:
        path = f"{FIELDS[rule['field']][0]}__{OPERATORS[rule['op']]}"
        term = Q(**{path: rule["value"]})
        condition &= ~term if rule["op"] == "ne" else term
    return condition


def members(user: Any, segment: Segment | list[dict[str, Any]]) -> QuerySet[Customer]:
    """The customers of a segment that `user` may see (later modules sample from here)."""
    rules = segment.rules if isinstance(segment, Segment) else segment
    queryset = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    queryset = queryset.filter(rules_to_q(rules))
    if any(rule["field"] == "tag" for rule in rules):
        queryset = queryset.distinct()
    return queryset


def summary(user: Any, segment: Segment) -> dict[str, Any]:
    """Size, revenue and revenue share among the customers `user` may see."""
    customers = members(user, segment)
    visible = Customer.objects.visible_to(user).filter(merged_into__isnull=True)
    total = Transaction.objects.filter(customer__in=visible).aggregate(s=Sum("amount"))["s"]
    revenue = Transaction.objects.filter(customer__in=customers).aggregate(s=Sum("amount"))["s"]
    total, revenue = cny(total), cny(revenue)
    size, population = customers.count(), visible.count()
    return {
        "size": size,
        "population": population,
        "size_share": size / population if population else 0.0,
        "revenue": revenue,
        "revenue_share": float(revenue / total) if total else 0.0,
    }
