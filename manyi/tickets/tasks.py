"""The complaint desk's periodic jobs (discovered by manyi.core)."""

from __future__ import annotations

from manyi.core.tasks import periodic

from . import sla, subscribers


@periodic("tickets.escalate_breaches", minutes=5)
def escalate_breaches() -> int:
    """Raise the escalation level of tickets past a deadline (`actions.escalate`)."""
    return sla.escalate_breaches()


@periodic("tickets.warn_due_soon", minutes=5)
def warn_due_soon() -> int:
    """Tell each owner once per deadline that it is near."""
    return subscribers.warn_due_soon()
