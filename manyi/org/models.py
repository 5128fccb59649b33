"""The organisation: company -> regions -> branches, departments, staff and the audit trail."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from manyi.core.models import Versioned

from .roles import Role, Scope
from .scoping import ScopedQuerySet


class Company(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")

    def __str__(self) -> str:
        return self.name


class Region(models.Model):
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="regions")
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Branch(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="branches")
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    city = models.CharField(_("city"), max_length=64, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    observes_statutory_holidays = models.BooleanField(
        _("closed on statutory holidays"), default=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    scope_field = "pk"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Department(models.Model):
    class Kind(models.TextChoices):
        CUSTOMER_SERVICE = "customer_service", _("Customer service")
        AFTER_SALES = "after_sales", _("After-sales")
        WAREHOUSE = "warehouse", _("Warehouse")
        MARKETING = "marketing", _("Marketing")
        QUALITY = "quality", _("Quality")
        MANAGEMENT = "management", _("Management")

    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="departments")
    branch = models.ForeignKey(
        Branch,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="departments",
        help_text=_("Empty for a head-office department."),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(fields=["company", "branch", "kind"], name="uniq_dept_kind")
        ]

    def __str__(self) -> str:
        return self.name


class Staff(Versioned):
    """A person working for the company; the login is Django's user."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="staff")
    employee_no = models.CharField(_("employee number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("mobile phone"), max_length=32, blank=True)
    id_number = models.CharField(_("ID number"), max_length=32, blank=True)
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    scope = models.CharField(_("scope"), max_length=16, choices=Scope.choices, default=Scope.BRANCH)
    department = models.ForeignKey(
        Department,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("department"),
    )
    branches = models.ManyToManyField(
        Branch, blank=True, related_name="staff", verbose_name=_("branches")
    )
    regions = models.ManyToManyField(
        Region, blank=True, related_name="staff", verbose_name=_("regions")
    )

    scope_field = "branches"
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["employee_no"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


class ApiToken(models.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class AuditEntryQuerySet(models.QuerySet):
    """No queryset path edits or deletes the trail (the database refuses it as well)."""

    def update(self, **kwargs):  # type: ignore[override]
        raise PermissionError("The audit trail cannot be edited.")

    def delete(self):  # type: ignore[override]
        raise PermissionError("The audit trail cannot be deleted.")

    def _raw_delete(self, using):  # type: ignore[override]
        raise PermissionError("The audit trail cannot be deleted.")


class AuditEntry(models.Model):
    """One line of the audit trail. Written by actions only; never changed afterwards."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_name = models.CharField(_("who"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    branch_id = models.BigIntegerField(_("branch"), null=True, blank=True, db_index=True)
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    note = models.CharField(_("note"), max_length=500, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit trail cannot be edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail cannot be deleted.")
