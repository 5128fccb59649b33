"""Every change to notifications: telling people (from the subscribers, on the task
workers), marking them read, a person's e-mail preferences."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from manyi.core.tasks import enqueue
from manyi.org import audit
from manyi.org.models import Staff
from manyi.org.scoping import staff_of

from .auditing import AuditAction
from .models import Digest, Kind, Notification, Preference

STALE = dt.timedelta(days=7)


def notify(
    recipients: Iterable[Staff | int],
    kind: str,
    *,
    source: str,
    params: dict[str, Any],
    url: str = "",
    at: dt.datetime | None = None,
) -> int:
    """Tell each person once about one thing: a second call for the same source (a retried
    delivery, a job run twice) adds nothing. Returns how many were told now. `at`: when it
    happened; news older than a week (history loaded or carried over) is filed as read,
    with no e-mail."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    ids = sorted({r.pk if isinstance(r, Staff) else int(r) for r in recipients})
    if not ids:
        return 0
    existing = set(
        Notification.objects.filter(kind=kind, source=source, recipient_id__in=ids).values_list(
            "recipient_id", flat=True
        )
    )
    now = timezone.now()
    at = at or now
    stale = now - at > STALE
    new = [
        Notification(
            recipient_id=pk,
            kind=kind,
            source=source,
            params=params,
            url=url,
            created_at=at,
            read_at=now if stale else None,
        )
        for pk in ids
        if pk not in existing
    ]
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    if new and not stale:  # single e-mails go out as soon as the rows are committed
        transaction.on_commit(lambda: enqueue("manyi.notifications.mail.send_due_mail"))
    return len(new)


def open_notification(user: Any, notification_id: int) -> Notification:
    """The person opens one of theirs: it is read from now on."""
    staff = staff_of(user)
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update()
            .filter(pk=notification_id, recipient=staff)
            .first()
        )
        if notification is None:
            from django.http import Http404

            raise Http404(_("No such notification."))
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def mark_all_read(user: Any) -> int:
    staff = staff_of(user)
    if staff is None:
        return 0
    return Notification.objects.filter(recipient=staff, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def save_preference(user: Any, *, email_kinds: Iterable[str], digest: str) -> Preference:
    """Which kinds also come by e-mail, one at a time or in an hourly or daily digest."""
    staff = staff_of(user)
    if staff is None:
        raise ValidationError(_("Only staff members receive notifications."))
    kinds = sorted(set(email_kinds))
    unknown = [k for k in kinds if k not in Kind.values]
    if unknown:
        raise ValidationError(_("Unknown kinds: %(kinds)s") % {"kinds": ", ".join(unknown)})
    if digest not in Digest.values:
        raise ValidationError(_("Choose how the e-mails come."))
    if kinds and not staff.user.email:
        raise ValidationError(
            _("Your account has no e-mail address; ask an administrator to add one first.")
        )
    with transaction.atomic():
        preference, _created = Preference.objects.select_for_update().get_or_create(staff=staff)
        before = {"email_kinds": preference.email_kinds, "digest": preference.digest}
        preference.email_kinds = kinds
        preference.digest = digest
        preference.save()
        audit.record(
            user,
            AuditAction.PREFERENCE,
            staff,
            before=before,
            after={"email_kinds": kinds, "digest": digest},
        )
    return preference


def preference_of(staff: Staff) -> Preference:
    return Preference.objects.filter(staff=staff).first() or Preference(staff=staff)


def send_mail_for(preference_id: int, now: dt.datetime, connection: object) -> int:
    """Send one person's due e-mail and mark what it carried as e-mailed, in one
    transaction under the person's lock: a restart sends nothing twice that was marked and
    loses nothing that was not. Returns how many e-mails went out."""
    from .mail import DIGEST_EVERY, LOOK_BACK, compose

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
        messages = compose(pending, address, digest=every is not None, connection=connection)
        if every is not None:
            preference.last_digest_at = now
            preference.save(update_fields=["last_digest_at"])
        for message in messages:
            message.send()
        Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=now)
        return len(messages)
