"""What a person is told: one row per person and event (never two for one event), read
when opened, and e-mailed alone or in a digest as the person chose."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.org.models import Staff


class Kind(models.TextChoices):
    ASSIGNED = "assigned", _("A ticket was assigned to me")
    APPROVAL_NEEDED = "approval_needed", _("A proposal waits for my approval")
    DECIDED = "decided", _("My proposal was approved or rejected")
    ORDER_SENT = "order_sent", _("An execution order was sent to my department")
    DUE_SOON = "due_soon", _("A ticket of mine is about to pass a deadline")
    BREACHED = "breached", _("A ticket of mine passed a deadline")
    LOW_SCORE = "low_score", _("A customer I look after gave a low score")


class Notification(models.Model):
    recipient = models.ForeignKey(Staff, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What the message says, as data: it is worded when shown, in the reader's language.
    params = models.JSONField(_("details"), default=dict, blank=True)
    url = models.CharField(max_length=300, blank=True)
    # What it is about: "event:<id>" or, for deadlines, "due:<ticket>:<time>".
    source = models.CharField(max_length=100)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "kind", "source"], name="one_notification_per_event"
            )
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.kind} {self.source}"


class Digest(models.TextChoices):
    SINGLE = "single", _("One e-mail for each notification")
    HOURLY = "hourly", _("At most one e-mail an hour, with all of them")
    DAILY = "daily", _("One e-mail a day, with all of them")


class Preference(models.Model):
    """Which kinds a person also gets by e-mail, and how (in the app they always appear)."""

    staff = models.OneToOneField(
        Staff, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_kinds = models.JSONField(_("by e-mail"), default=list, blank=True)
    digest = models.CharField(
        _("how e-mails come"), max_length=10, choices=Digest.choices, default=Digest.SINGLE
    )
    last_digest_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return f"{self.staff_id}: {self.digest}"
