"""The satisfaction index's audit actions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from manyi.core.registry import VERBATIM, audit_actions, register_audit_details

from .forms import MISSING_TREATMENTS, SCHEMES


@audit_actions
class AuditAction(models.TextChoices):
    DATASET_UPLOAD = "insight.dataset.upload", _("Data set uploaded")
    DATASET_SURVEY = "insight.dataset.survey", _("Data set taken from a questionnaire")
    PROGRAMME_CREATE = "insight.programme.create", _("Index programme created")
    RUN_START = "insight.run.start", _("Analysis started")
    RUN_DONE = "insight.run.done", _("Analysis finished")
    RUN_FAILED = "insight.run.failed", _("Analysis failed")
    COSTS_SET = "insight.run.costs", _("Costs and feasibility of items entered")


register_audit_details(
    AuditAction,
    {
        "n_used": _("responses used"),
        "questionnaire": (_("questionnaire"), VERBATIM),
        "version": _("questionnaire version"),
        "since": _("from"),
        "until": _("until"),
        "campaigns": _("campaigns"),
        "wave_by": _("waves by"),
        "upto": _("newest response included"),
        "mapping": _("items mapped to questions"),
        "rows": _("rows"),
        "sha256": (_("file checksum"), VERBATIM),
        "bootstrap": _("bootstrap samples"),
        "seed": _("random seed"),
        "group": _("groups compared by"),
        "target": _("target construct"),
        "language": (_("language"), dict(settings.LANGUAGES)),
        "scheme": (_("inner weighting scheme"), SCHEMES),
        "missing": (_("missing values"), MISSING_TREATMENTS),
    },
)
