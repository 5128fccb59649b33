"""The customers' periodic jobs (discovered by manyi.core)."""

from __future__ import annotations

from manyi.core.tasks import periodic
from manyi.org.actors import SYSTEM

from . import actions


@periodic("customers.recompute_rfm", minutes=24 * 60)
def recompute_rfm() -> int:
    """Score every customer with purchases (recency, frequency, money: 1-5 each)."""
    return actions.rescore_rfm(SYSTEM)
