"""What the shell shows: navigation entries and dashboard counts that each app registers.

Apps register in their AppConfig.ready(), so the navigation lists exactly the modules that
exist and the home page shows real, scoped counts without knowing any app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Any  # a lazy translation
    url_name: str
    permission: str | None = None
    order: int = 100
    badge: Callable[[Any], int] | None = None  # a count beside the label (work waiting)
    place: str = "main"  # main: the module menu; tools: beside the person's name (the bell)


@dataclass(frozen=True)
class DashboardCard:
    key: str
    label: Any
    count: Callable[[Any], int]  # receives the user, returns a scoped count
    url_name: str | None = None
    permission: str | None = None
    order: int = 100


_NAV: dict[str, NavItem] = {}
_CARDS: dict[str, DashboardCard] = {}


def register_nav(item: NavItem) -> None:
    _NAV[item.key] = item


def register_card(card: DashboardCard) -> None:
    _CARDS[card.key] = card


def _allowed(user: Any, permission: str | None) -> bool:
    from manyi.org.permissions import has_permission

    return permission is None or has_permission(user, permission)


def nav_for(user: Any) -> list[dict[str, Any]]:
    items = []
    for item in sorted(_NAV.values(), key=lambda i: (i.order, i.key)):
        if not _allowed(user, item.permission):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        badge = item.badge(user) if item.badge is not None else 0
        items.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "badge": badge,
                "place": item.place,
            }
        )
    return items


def cards_for(user: Any) -> list[dict[str, Any]]:
    cards = []
    for card in sorted(_CARDS.values(), key=lambda c: (c.order, c.key)):
        if not _allowed(user, card.permission):
            continue
        cards.append(
            {
                "key": card.key,
                "label": card.label,
                "count": card.count(user),
                "url": reverse(card.url_name) if card.url_name else None,
            }
        )
    return cards


# --- The audit trail's vocabulary ------------------------------------------------------
# Each app declares its audit actions as one TextChoices (`@audit_actions`), and the words
# for the details its entries carry that are not fields of the audited model
# (`register_audit_details`); the audit trail refuses an action no app declared, and the
# audit page reads every entry in the reader's language.

_AUDIT_ACTIONS: dict[str, Any] = {}
VERBATIM = "verbatim"  # a detail shown as it is (a file name, a code): (_("file"), VERBATIM)
FIELD_NAME = "field name"  # a detail naming a field of the audited model: shown by its label
_AUDIT_DETAILS: dict[str, dict[str, Any]] = {}


def audit_actions(choices: Any) -> Any:
    """Class decorator for an app's `AuditAction(models.TextChoices)`."""
    for member in choices:
        if member.value in _AUDIT_ACTIONS and _AUDIT_ACTIONS[member.value] != member.label:
            raise ValueError(f"audit action {member.value!r} is declared twice")
        _AUDIT_ACTIONS[member.value] = member.label
    return choices


def is_audit_action(value: Any) -> bool:
    return isinstance(value, str) and value in _AUDIT_ACTIONS and hasattr(value, "label")


def audit_action_label(code: str) -> Any:
    """The words for an action code, or None for one no app declares (history from a
    module since removed)."""
    return _AUDIT_ACTIONS.get(code)


def audit_action_choices() -> list[tuple[str, Any]]:
    return sorted(_AUDIT_ACTIONS.items())


def register_audit_details(actions: Any, labels: dict[str, Any]) -> None:
    """Words for the detail keys of an app's entries that are not fields of the audited
    model: register_audit_details(AuditAction, {"rows": _("rows")}). A value may be a pair
    (label, choices) when the detail holds a choice's code (or several, comma-separated)."""
    for member in actions:
        _AUDIT_DETAILS.setdefault(member.value, {}).update(labels)


def audit_detail_label(action: str, key: str) -> Any:
    return _AUDIT_DETAILS.get(action, {}).get(key)


# -- business outcomes: what the satisfaction index is set beside -----------------------------
@dataclass(frozen=True)
class BusinessOutcome:
    """A figure an app knows per group of branches and period (revenue per customer,
    complaints per 1,000 customers ...): `compute(branch_ids, first_day, last_day)` returns
    the value, or None when there is nothing to measure."""

    key: str
    label: Any
    unit: Any
    compute: Callable[[list[int], Any, Any], float | None]
    order: int = 100


_OUTCOMES: dict[str, BusinessOutcome] = {}


def business_outcome(key: str, label: Any, unit: Any, order: int = 100) -> Callable[..., Any]:
    """`@business_outcome("revenue_per_customer", _("Revenue per customer"), _("CNY"))`."""

    def register(func: Callable[[list[int], Any, Any], float | None]) -> Any:
        _OUTCOMES[key] = BusinessOutcome(key, label, unit, func, order)
        return func

    return register


def business_outcomes() -> list[BusinessOutcome]:
    return sorted(_OUTCOMES.values(), key=lambda outcome: (outcome.order, outcome.key))
