"""The customer tracking card (客户资料跟踪卡): key figures from any module, and the page's data.

Later modules add figures (open complaints, last satisfaction answer, next visit) with
`@card_figure(...)`, as they add timeline lines, without this app knowing them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Sum
from django.utils.translation import gettext_lazy as _

from manyi.core.money import cny

from .models import Customer, Transaction


@dataclass(frozen=True)
class Figure:
    key: str
    label: Any
    value: Any
    order: int = 100


FigureSource = Callable[[Customer], list[Figure]]
_FIGURES: dict[str, FigureSource] = {}


def card_figure(key: str) -> Callable[[FigureSource], FigureSource]:
    def register(func: FigureSource) -> FigureSource:
        _FIGURES[key] = func
        return func

    return register


def figures_for(customer: Customer) -> list[Figure]:
    figures = [figure for source in _FIGURES.values() for figure in source(customer)]
    return sorted(figures, key=lambda f: (f.order, f.key))


def purchase_figures(customer: Customer) -> dict[str, Any]:
    figures = customer.transactions.aggregate(
        revenue=Sum("amount"), purchases=Count("id"), last=Max("occurred_at")
    )
    return {
        "lifetime_revenue": cny(figures["revenue"]),
        "purchases": figures["purchases"],
        "last_purchase": figures["last"],
    }


@card_figure("purchases")
def _purchases(customer: Customer) -> list[Figure]:
    data = purchase_figures(customer)
    return [
        Figure("lifetime_revenue", _("Lifetime revenue"), data["lifetime_revenue"], 10),
        Figure("purchases", _("Purchases"), data["purchases"], 20),
        Figure("last_purchase", _("Last purchase"), data["last_purchase"], 30),
    ]


def lifetime_revenues(customer_ids: Iterable[int]) -> dict[int, Any]:
    """Lifetime revenue (CNY text) of many customers in one query, for lists of them."""
    rows = (
        Transaction.objects.filter(customer_id__in=list(customer_ids))
        .values("customer_id")
        .annotate(revenue=Sum("amount"))
    )
    return {row["customer_id"]: cny(row["revenue"]) for row in rows}
