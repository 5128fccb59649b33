"""Satisfaction-index analyses: the data they read and every run with its inputs and result.

A run keeps a copy of everything it was computed from (the data set, the model file text,
the options and the seed), so any result shown to the board can be recomputed exactly.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.org.models import Branch, Region
from manyi.org.scoping import AllBranches, ScopedQuerySet, visible_branch_ids


class DatasetScoped(ScopedQuerySet):
    """Data sets of a branch, of a region (a regional analyst's survey data) or of the
    whole company; a region's data is visible to whoever sees every branch of it."""

    dataset_path = ""

    def visible_to(self, user: Any) -> ScopedQuerySet:
        ids = visible_branch_ids(user)
        if isinstance(ids, AllBranches):
            return self
        regions: dict[int, set[int]] = {}
        for region_id, branch_id in Branch.objects.values_list("region_id", "id"):
            regions.setdefault(region_id, set()).add(branch_id)
        covered = [region for region, branches in regions.items() if branches <= ids]
        p = self.dataset_path
        return self.filter(
            models.Q(**{f"{p}branch__in": ids})
            | models.Q(**{f"{p}branch__isnull": True, f"{p}region__in": covered})
        )


class RunScoped(DatasetScoped):
    dataset_path = "dataset__"


class Dataset(models.Model):
    """Survey answers: an uploaded file, or a questionnaire's responses (`selection`)."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Uploaded file")
        SURVEY = "survey", _("Survey responses")
        DEMO = "demo", _("Demo data")

    name = models.CharField(_("name"), max_length=200)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    # For survey data: which survey (and wave) the rows come from; read by a data source.
    source_ref = models.CharField(_("source reference"), max_length=200, blank=True)
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: company-wide data, visible to company-wide staff only."),
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("A region's survey data, for a regional analyst."),
    )
    # For survey data: the questionnaire, version, period or campaigns, how waves are cut
    # and the newest response included (see manyi.surveys.insight_source).
    selection = models.JSONField(_("selection"), default=dict, blank=True)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    content = models.BinaryField(_("content"), blank=True, editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = DatasetScoped.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("data set")
        verbose_name_plural = _("data sets")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Programme(models.Model):
    """A satisfaction-index programme: one questionnaire measured wave after wave (every
    quarter, say) with one model, so the index can be followed over time. Each wave's run
    is kept with its inputs; a daily job runs every wave that has ended."""

    class WaveCut(models.TextChoices):
        QUARTER = "quarter", _("Quarterly")
        HALF = "half", _("Half-yearly")
        MONTH = "month", _("Monthly")
        YEAR = "year", _("Yearly")

    class CompareBy(models.TextChoices):
        NONE = "", _("No comparison")
        BRANCH = "branch", _("Branches")
        REGION = "region", _("Regions")

    name = models.CharField(_("name"), max_length=200)
    questionnaire = models.CharField(_("questionnaire"), max_length=60)
    model_yaml = models.TextField(_("model file"))
    mapping = models.JSONField(_("items mapped to questions"), default=dict, blank=True)
    wave_by = models.CharField(
        _("waves"), max_length=10, choices=WaveCut.choices, default=WaveCut.QUARTER
    )
    starts_on = models.DateField(_("first wave begins"))
    compare_by = models.CharField(
        _("compare in each wave"),
        max_length=10,
        choices=CompareBy.choices,
        default=CompareBy.NONE,
        blank=True,
    )
    bootstrap = models.PositiveIntegerField(_("bootstrap samples"), default=500)
    seed = models.PositiveIntegerField(_("random seed"), default=2026)
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.PROTECT, null=True, blank=True
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = DatasetScoped.as_manager()
    scope_field = "branch"

    class Meta:
        verbose_name = _("index programme")
        verbose_name_plural = _("index programmes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AnalysisRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    dataset = models.ForeignKey(
        Dataset, verbose_name=_("data set"), on_delete=models.PROTECT, related_name="runs"
    )
    title = models.CharField(_("title"), max_length=200)
    model_yaml = models.TextField(_("model file"))
    options = models.JSONField(_("options"), default=dict, encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    result = models.JSONField(_("result"), null=True, blank=True)
    report = models.BinaryField(_("Excel report"), blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)
    error_zh = models.TextField(_("error (Chinese)"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # A programme's wave: which one, and when it began (for ordering the trend).
    programme = models.ForeignKey(
        Programme,
        verbose_name=_("index programme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runs",
    )
    wave = models.CharField(_("wave"), max_length=60, blank=True)
    wave_start = models.DateField(_("wave begins"), null=True, blank=True)
    # What the trend and the dashboards read, small beside the result: n, the index with
    # its bootstrap standard error and interval, the groups' index.
    summary = models.JSONField(_("summary"), null=True, blank=True)
    # Seed 000's rule in full: the analyst's cost and feasibility per item, which reorder
    # the improvement ranking (manyi.analytics.priority), kept with the scales they use.
    costs = models.JSONField(_("costs and feasibility"), null=True, blank=True)

    objects = RunScoped.as_manager()
    scope_field = "dataset__branch"

    class Meta:
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["programme", "wave_start"])]

    def __str__(self) -> str:
        return self.title

    @property
    def branch_id(self) -> int | None:  # for audit entries
        return self.dataset.branch_id

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    def error_for(self, language: str) -> str:
        return self.error_zh if language.lower().startswith("zh") and self.error_zh else self.error
