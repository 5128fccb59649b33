"""E-mail for the kinds a person chose: each notification alone, or an hourly or daily
digest. A periodic job (and a nudge after each new notification) sends what is due; a
notification is marked e-mailed in the same transaction that sends it, so a restart sends
nothing twice that was marked and loses nothing that was not."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from manyi.core.tasks import periodic

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


@periodic("notifications.send_mail", minutes=1)
def send_due_mail(now: dt.datetime | None = None) -> int:
    """Send every e-mail that is due now; returns how many e-mails went out."""
    now = now or timezone.now()
    sent = 0
    people = list(Preference.objects.values_list("pk", flat=True))
    with translation.override(settings.LANGUAGE_CODE), get_connection() as connection:
        for pk in people:
            sent += _send_for(pk, now, connection)
    return sent


def _send_for(preference_id: int, now: dt.datetime, connection: object) -> int:
    with transaction.atomic():
        preference = (
            Preference.objects.select_for_update()
            .select_related("staff__user")
            .filter(pk=preference_id)
            .first()
        )
        if preference is None or not preference.email_kinds:
            return 0
        address = preference.staff.user.email
        every = DIGEST_EVERY.get(preference.digest)
        last = preference.last_digest_at
        if not address or (every is not None and last is not None and now - last < every):
            return 0
        pending = list(
            Notification.objects.filter(
                recipient=preference.staff,
                kind__in=preference.email_kinds,
                emailed_at__isnull=True,
                read_at__isnull=True,
                created_at__gte=now - LOOK_BACK,
            ).order_by("created_at", "pk")
        )
        if not pending:
            return 0
        if every is None:
            messages = [
                EmailMessage(
                    _("Manyi: %(headline)s") % {"headline": headline(n)},
                    _line(n),
                    to=[address],
                    connection=connection,
                )
                for n in pending
            ]
        else:
            subject = ngettext(
                "Manyi: %(n)d new notification", "Manyi: %(n)d new notifications", len(pending)
            ) % {"n": len(pending)}
            body = "\n\n".join(_line(n) for n in pending)
            messages = [EmailMessage(subject, body, to=[address], connection=connection)]
            preference.last_digest_at = now
            preference.save(update_fields=["last_digest_at"])
        for message in messages:
            message.send()
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
        return len(messages)
