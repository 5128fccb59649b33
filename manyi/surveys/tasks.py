"""The surveys' periodic jobs (discovered by manyi.core)."""

from __future__ import annotations

from manyi.core.tasks import periodic

from . import actions


@periodic("surveys.send_reminders", minutes=60)
def send_reminders() -> int:
    return actions.send_reminders()


@periodic("surveys.send_triggered", minutes=5)
def send_triggered() -> int:
    """Invitations due after a closed ticket, a purchase or a served number."""
    return actions.send_triggered()
