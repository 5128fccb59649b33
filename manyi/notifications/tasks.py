"""The notifications' periodic jobs (discovered by manyi.core)."""

from __future__ import annotations

from manyi.core.tasks import periodic

from . import mail


@periodic("notifications.send_mail", minutes=1)
def send_mail() -> int:
    """The e-mails that are due: single notices, and digests whose hour or day has come."""
    return mail.send_due_mail()
