"""The notifications' audit actions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import audit_actions


@audit_actions
class AuditAction(models.TextChoices):
    PREFERENCE = "notifications.preference", _("Notification settings changed")
