"""The surveys' audit actions and the words for their details."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import VERBATIM, audit_actions, register_audit_details

from .models import CallAttempt, Campaign, Feedback


@audit_actions
class AuditAction(models.TextChoices):
    IMPORT = "surveys.import", _("Questionnaire imported")
    EDIT = "surveys.edit", _("Questionnaire edited")
    LINK = "surveys.link", _("Survey link created")
    CAMPAIGN_CREATE = "surveys.campaign.create", _("Campaign created")
    CAMPAIGN_LAUNCH = "surveys.campaign.launch", _("Campaign launched")
    CAMPAIGN_SENT = "surveys.campaign.sent", _("Invitations sent")
    CAMPAIGN_CLOSE = "surveys.campaign.close", _("Campaign closed")
    CALL_LIST = "surveys.call_list", _("Call list created")
    CALL = "surveys.call", _("Phone interview call recorded")
    FEEDBACK = "surveys.feedback", _("Feedback recorded")
    FEEDBACK_IMPORT = "surveys.feedback.import", _("Feedback imported")


register_audit_details(
    AuditAction,
    {
        "questions": _("questions"),
        "version": _("version"),
        "file": (_("file"), VERBATIM),
        "title": _("title"),
        "unsupported": _("unsupported columns"),
        "language": _("language"),
        "questionnaire": (_("questionnaire"), VERBATIM),
        "single_use": _("single use"),
        "sent": _("sent"),
        "skipped": _("skipped"),
        "failed": _("failed"),
        "opted_out": _("opted out"),
        "source": (_("source"), Feedback.Source),
        "outcome": (_("outcome"), CallAttempt.Outcome),
        "state": (_("state"), Campaign.State),
        "no_address": _("no address"),
        "customers": _("number of customers"),
    },
)
