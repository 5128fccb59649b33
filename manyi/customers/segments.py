"""Segment rules: a list of conditions, all of which a customer meets.

    [{"field": "tier", "op": "in", "value": ["key", "vip"]},
     {"field": "r_score", "op": "gte", "value": 4},
     {"field": "tag", "op": "eq", "value": "老客户"}]

Only the fields below can be used, so a rule can never reach data it should not.

People never see this structure: `describe` puts a rule list into words ("客户等级 属于其中之一
大客户、VIP 且 最近购买得分 不少于 4"), and the rule builder (forms.py) offers, per field, the
comparisons and values listed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from manyi.core.money import cny
from manyi.org.models import Branch

from .models import Customer, Segment, Transaction

# field -> (ORM path, kind, label); the order is the order the rule builder offers them in.
FIELDS: dict[str, tuple[str, str, Any]] = {
    "tier": ("tier", "text", gettext_lazy("Tier")),
    "lifecycle": ("lifecycle", "text", gettext_lazy("Lifecycle stage")),
    "kind": ("kind", "text", gettext_lazy("Customer type")),
    "tag": ("tags__name", "text", gettext_lazy("Tag")),
    "branch": ("branch__code", "text", gettext_lazy("Branch")),
    "r_score": ("r_score", "number", gettext_lazy("Recency score")),
    "f_score": ("f_score", "number", gettext_lazy("Frequency score")),
    "m_score": ("m_score", "number", gettext_lazy("Monetary score")),
    "preferred_channel": ("preferred_channel", "text", gettext_lazy("Preferred channel")),
    "callback_consent": ("callback_consent", "bool", gettext_lazy("Agrees to callbacks")),
    "gender": ("gender", "text", gettext_lazy("Gender")),
    "birth_year": ("birth_year", "number", gettext_lazy("Birth year")),
    "province": ("province", "text", gettext_lazy("Province")),
    "city": ("city", "text", gettext_lazy("City")),
    "district": ("district", "text", gettext_lazy("District")),
    "region": ("region", "text", gettext_lazy("Sales region")),
    "occupation": ("occupation", "text", gettext_lazy("Occupation")),
    "education": ("education", "text", gettext_lazy("Education")),
    "income_band": ("income_band", "text", gettext_lazy("Income band")),
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
        if "value" not in rule or value is None or (op == "in" and value == []):
            errors.append(
                _("Condition %(n)s: %(field)s needs a value.")
                % {"n": number, "field": FIELDS[field][2]}
            )
        elif op == "in" and not isinstance(value, list):
            errors.append(_("Condition %(n)s: “in” needs a list of values.") % {"n": number})
        elif kind == "number" and not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in values
        ):
            errors.append(
                _("Condition %(n)s: %(field)s needs a number.")
                % {"n": number, "field": FIELDS[field][2]}
            )
        elif kind == "bool" and not all(isinstance(v, bool) for v in values):
            errors.append(
                _("Condition %(n)s: %(field)s is yes or no.")
                % {"n": number, "field": FIELDS[field][2]}
            )
        elif kind == "text" and not all(isinstance(v, str) for v in values):  # "" = not filled
            errors.append(
                _("Condition %(n)s: %(field)s needs a text value.")
                % {"n": number, "field": FIELDS[field][2]}
            )
        elif kind != "number" and op in {"gte", "lte", "gt", "lt"}:
            errors.append(
                _("Condition %(n)s: %(field)s cannot be compared by size.")
                % {"n": number, "field": FIELDS[field][2]}
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


# ---- Rules in words -----------------------------------------------------------------------

# How the builder lets a person give a field's value, and so which comparisons fit it.
PICKER_CHOICE, PICKER_TAG, PICKER_BRANCH = "choice", "tag", "branch"
PICKER_NUMBER, PICKER_BOOL, PICKER_TEXT = "number", "bool", "text"

OPERATORS_FOR: dict[str, tuple[str, ...]] = {
    PICKER_NUMBER: ("eq", "ne", "gt", "gte", "lt", "lte", "in"),
    PICKER_BOOL: ("eq", "ne"),
    PICKER_CHOICE: ("eq", "ne", "in"),
    PICKER_TAG: ("eq", "ne", "in"),
    PICKER_BRANCH: ("eq", "ne", "in"),
    PICKER_TEXT: ("eq", "ne", "in"),
}
COMPARISONS: dict[str, Any] = {
    "eq": pgettext_lazy("segment rule", "is"),
    "ne": pgettext_lazy("segment rule", "is not"),
    "in": pgettext_lazy("segment rule", "is one of"),
    "gt": pgettext_lazy("segment rule", "is more than"),
    "gte": pgettext_lazy("segment rule", "is at least"),
    "lt": pgettext_lazy("segment rule", "is less than"),
    "lte": pgettext_lazy("segment rule", "is at most"),
}
# A customer has many tags: "has the tag", not "the tag is".
TAG_COMPARISONS: dict[str, Any] = {
    "eq": pgettext_lazy("segment rule", "has"),
    "ne": pgettext_lazy("segment rule", "does not have"),
    "in": pgettext_lazy("segment rule", "has one of"),
}
# Scores are quintiles; a year of birth far outside this is a typing mistake.
NUMBER_RANGES: dict[str, tuple[int, int]] = {
    "r_score": (1, 5),
    "f_score": (1, 5),
    "m_score": (1, 5),
    "birth_year": (1900, 2100),
}


def picker(field: str) -> str:
    """How a value of `field` is given: from fixed choices, the tags, the branches, a number,
    yes or no, or free text."""
    kind = FIELDS[field][1]
    if kind in (PICKER_NUMBER, PICKER_BOOL):
        return kind
    if field == "tag":
        return PICKER_TAG
    if field == "branch":
        return PICKER_BRANCH
    return PICKER_CHOICE if fixed_choices(field) else PICKER_TEXT


def fixed_choices(field: str) -> list[tuple[str, str]]:
    """The values a field can take with their display labels, for fields whose values are
    fixed in code (tier, lifecycle stage...) or yes/no; empty for the others."""
    path, kind, _label = FIELDS[field]
    if kind == PICKER_BOOL:
        return [("true", str(_("Yes"))), ("false", str(_("No")))]
    if "__" in path:
        return []
    return [(str(code), str(label)) for code, label in Customer._meta.get_field(path).flatchoices]


def field_label(field: str) -> str:
    return str(FIELDS[field][2]) if field in FIELDS else field


def comparison_label(field: str, op: str) -> str:
    """The comparison in words, as it fits the field ("is at most", "has")."""
    words = TAG_COMPARISONS if field == "tag" else COMPARISONS
    return str(words.get(op, op))


def value_text(value: Any) -> str:
    """A rule value as the builder's inputs hold it (true/false, 4, 4.5, 老客户)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def branch_names(rule_lists: Iterable[Any]) -> dict[str, str]:
    """The branches the rules name, code -> "name (code)", in one query for a whole list."""
    codes = {
        value_text(value)
        for rules in rule_lists
        if isinstance(rules, list)
        for rule in rules
        if isinstance(rule, dict) and rule.get("field") == "branch"
        for value in values_of(rule.get("value"))
    }
    if not codes:
        return {}
    return {branch.code: str(branch) for branch in Branch.objects.filter(code__in=codes)}


def values_of(value: Any) -> list[Any]:
    """A rule value as a list: the one value, or the several of "is one of"."""
    return value if isinstance(value, list) else [value]


def _value_label(field: str, value: Any, branches: Mapping[str, str]) -> str:
    kind = picker(field)
    text = value_text(value)
    if kind in (PICKER_CHOICE, PICKER_BOOL):
        return dict(fixed_choices(field)).get(text, text)
    if kind == PICKER_BRANCH:
        return branches.get(text, text)
    return text


def describe_rule(rule: Any, branches: Mapping[str, str] | None = None) -> str:
    """One condition in words: 客户等级 属于其中之一 大客户、VIP."""
    if not isinstance(rule, dict) or rule.get("field") not in FIELDS:
        return str(rule)
    field, op, value = rule["field"], rule.get("op", ""), rule.get("value")
    labels = [_value_label(field, v, branches or {}) for v in values_of(value)]
    return pgettext("segment rule", "%(field)s %(comparison)s %(value)s") % {
        "field": field_label(field),
        "comparison": comparison_label(field, op),
        "value": pgettext("list separator", ", ").join(labels),
    }


def describe_rules(rules: Any, branches: Mapping[str, str] | None = None) -> list[str]:
    """Each condition in words, in order."""
    if not isinstance(rules, list):
        return [str(rules)]
    if branches is None:
        branches = branch_names([rules])
    return [describe_rule(rule, branches) for rule in rules]


def describe(rules: Any, branches: Mapping[str, str] | None = None) -> str:
    """The whole rule list in one sentence; pass `branches` (from `branch_names`) when
    describing many segments, so the branch names cost one query in all."""
    conditions = describe_rules(rules, branches)
    if not conditions:
        return str(_("All customers"))
    joiner = pgettext("segment rule", "and")
    return f" {joiner} ".join(conditions)
