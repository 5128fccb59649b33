"""The business calendar's audit actions."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import audit_actions


@audit_actions
class AuditAction(models.TextChoices):
    YEAR_DECLARE = "calendar.year.declare", _("Holidays of a year declared")
    CLOSURE_ADD = "calendar.closure.add", _("Branch closure added")
    HOURS_SET = "calendar.hours.set", _("Opening hours set")
