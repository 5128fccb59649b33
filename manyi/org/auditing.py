"""The organisation's audit actions and the words for their details."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import FIELD_NAME, audit_actions, register_audit_details


@audit_actions
class AuditAction(models.TextChoices):
    STAFF_CREATE = "org.staff.create", _("Staff member added")
    STAFF_UPDATE = "org.staff.update", _("Staff member changed")
    PII_REVEAL = "pii.reveal", _("Personal data shown unmasked")
    TOKEN_CREATE = "org.api_token.create", _("API token created")
    TOKEN_REVOKE = "org.api_token.revoke", _("API token revoked")


register_audit_details(
    AuditAction,
    {
        "user": _("user"),
        "name": _("name"),
        "field": (_("field"), FIELD_NAME),
        "fields": (_("fields"), FIELD_NAME),
        "regions": _("regions"),
        "branches": _("branches"),
    },
)
