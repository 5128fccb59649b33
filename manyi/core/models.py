"""Cross-cutting records: the domain-event outbox and its per-subscriber deliveries."""

from __future__ import annotations

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventRecord(models.Model):
    """A domain event, written in the same transaction as the change it reports."""

    name = models.CharField(_("event"), max_length=100, db_index=True)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    actor_id = models.BigIntegerField(_("actor"), null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        ordering = ["-occurred_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class EventDelivery(models.Model):
    """One subscriber's copy of an event; pending until its handler has succeeded."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(EventRecord, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.CharField(_("subscriber"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    due_at = models.DateTimeField(_("due at"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="uniq_event_subscriber")
        ]

    def __str__(self) -> str:
        return f"{self.event} -> {self.subscriber} ({self.status})"


class Versioned(models.Model):
    """A record several people edit: a version counted up on every change, and for each
    field the version that last changed it, so an edit made from an older version is
    refused only where it meets a newer change of the same field
    (`manyi.core.versioning`)."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    field_versions = models.JSONField(
        _("versions of the fields"), default=dict, blank=True, editable=False
    )

    class Meta:
        abstract = True
