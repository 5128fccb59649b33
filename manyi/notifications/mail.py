"""E-mail for the kinds a person chose: each notification alone, or an hourly or daily
digest. A periodic job (and a nudge after each new notification) sends what is due; a
notification is marked e-mailed in the same transaction that sends it, so a restart sends
nothing twice that was marked and loses nothing that was not."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .kinds import detail, headline
from .models import Digest, Notification, Preference

DIGEST_EVERY = {Digest.HOURLY: dt.timedelta(hours=1), Digest.DAILY: dt.timedelta(days=1)}
# Turning e-mail on later does not mail the whole history: only what is this recent.
LOOK_BACK = dt.timedelta(days=2)


def _line(notification: Notification) -> str:
    text = headline(notification)
    more = detail(notification)
    link = f"{settings.MANYI_PUBLIC_URL}/notifications/{notification.pk}/open/"
    return f"{text}\n{more + chr(10) if more else ''}{link}"


def send_due_mail(now: dt.datetime | None = None) -> int:
    """Send every e-mail that is due now; returns how many e-mails went out."""
    from .actions import send_mail_for

    now = now or timezone.now()
    sent = 0
    people = list(Preference.objects.values_list("pk", flat=True))
    with translation.override(settings.LANGUAGE_CODE), get_connection() as connection:
        for pk in people:
            sent += send_mail_for(pk, now, connection)
    return sent


def compose(
    pending: list[Notification], address: str, *, digest: bool, connection: object
) -> list[EmailMessage]:
    """The e-mails for a person's pending notifications: one each, or one digest."""
    if not digest:
        return [
            EmailMessage(
                _("Manyi: %(headline)s") % {"headline": headline(n)},
                _line(n),
                to=[address],
                connection=connection,
            )
            for n in pending
        ]
    subject = ngettext(
        "Manyi: %(n)d new notification", "Manyi: %(n)d new notifications", len(pending)
    ) % {"n": len(pending)}
    body = "\n\n".join(_line(n) for n in pending)
    return [EmailMessage(subject, body, to=[address], connection=connection)]
