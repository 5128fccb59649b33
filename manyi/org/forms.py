from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from manyi.core import ratelimit
from manyi.core.versioning import VersionedForm

from .models import Branch, Department, Region, Staff
from .roles import Role, Scope


class AuditFilterForm(forms.Form):
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object number"), required=False)
    actor = forms.CharField(label=_("Who"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.apps import apps

        from manyi.core.registry import audit_action_choices

        from .models import AuditEntry

        # The kinds of object the trail holds entries for, by their names.
        present = set(
            AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct()
        )
        kinds = [
            (m._meta.label_lower, m._meta.verbose_name)
            for m in sorted(apps.get_models(), key=lambda m: m._meta.label_lower)
            if m._meta.label_lower in present
        ]
        self.fields["object_type"].choices = [("", _("All")), *kinds]
        # By code, so each module's actions stand together.
        self.fields["action"].choices = [("", _("All")), *audit_action_choices()]


class LoginForm(AuthenticationForm):
    """Django's login form, which also stops one address spraying passwords across many
    user names (django-axes locks a user name per address, not an address)."""

    rate_limited = False

    def clean(self) -> dict:
        who = ratelimit.address(self.request) if self.request is not None else "-"
        if ratelimit.exceeded(ratelimit.FAILED_LOGINS_PER_ADDRESS, who):
            self.rate_limited = True
            raise forms.ValidationError(
                _("Too many failed logins from your address: please try again in 15 minutes."),
                code="rate_limited",
            )
        try:
            return super().clean()
        except forms.ValidationError:
            ratelimit.hit(ratelimit.FAILED_LOGINS_PER_ADDRESS, who)
            raise


# --- administration: people, tokens, the organisation tree -------------------------------


def _branch_label(branch: Any) -> str:
    return f"{branch.name}（{branch.region.name}）"


class _PlacementFields(forms.Form):
    """Role and where in the company a person works: the fields the new-person and the
    edit forms share, with the choices read once per form."""

    def _place_choices(self) -> None:
        branches = self.fields["branches"]
        branches.queryset = Branch.objects.select_related("region").order_by("region__code", "code")
        branches.label_from_instance = _branch_label
        self.fields["regions"].queryset = Region.objects.order_by("code")
        department = self.fields["department"]
        department.queryset = Department.objects.select_related("branch").order_by(
            "branch__code", "kind"
        )
        department.required = False
        department.empty_label = _("None")

    def clean(self) -> dict:
        data = super().clean()
        scope, branches, regions = data.get("scope"), data.get("branches"), data.get("regions")
        if scope == "branch" and branches is not None and not branches:
            self.add_error("branches", _("Choose at least one branch for a branch scope."))
        if scope == "region" and regions is not None and not regions:
            self.add_error("regions", _("Choose at least one region for a region scope."))
        return data


class StaffCreateForm(_PlacementFields):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        help_text=_("What the person types to log in: letters, digits and @ . + - _"),
        validators=[UnicodeUsernameValidator()],
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    employee_no = forms.CharField(
        label=_("Employee number"),
        max_length=32,
        required=False,
        help_text=_("Leave empty to have one given."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    scope = forms.ChoiceField(
        label=_("Sees"),
        choices=Scope.choices,
        initial=Scope.BRANCH,
        help_text=_("Whose records the person sees: their branches, their regions, or all."),
    )
    branches = forms.ModelMultipleChoiceField(
        label=_("Branches"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
    )
    department = forms.ModelChoiceField(label=_("Department"), queryset=None)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32, required=False)
    password = forms.CharField(
        label=_("First password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to have one made up; it is shown once after saving."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._place_choices()


class StaffEditForm(VersionedForm, _PlacementFields, forms.ModelForm):
    """A person's role, scope, branches, regions, department and name; the phone only when
    a new one is typed, so the form never shows nor overwrites the stored number."""

    new_phone = forms.CharField(
        label=_("New mobile phone"),
        max_length=32,
        required=False,
        help_text=_("Leave empty to keep the number on file."),
    )

    class Meta:
        model = Staff
        fields = ["name", "role", "scope", "branches", "regions", "department"]
        labels = {"scope": _("Sees"), "name": _("Name")}
        widgets = {
            "branches": forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
            "regions": forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._place_choices()
        self.fields["new_phone"].show_hidden_initial = False

    def changes(self) -> dict[str, Any]:
        changes = super().changes()
        new_phone = changes.pop("new_phone", "")
        if new_phone:
            changes["phone"] = new_phone
        return changes


class PasswordResetForm(forms.Form):
    password = forms.CharField(
        label=_("New password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to have one made up; it is shown once."),
    )


class DeactivateForm(forms.Form):
    active = forms.BooleanField(required=False, widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=_("What it is for"),
        max_length=100,
        help_text=_("For example: the call-centre system, the nightly export."),
    )


class BranchForm(forms.ModelForm):
    class Meta:
        model = Branch
        fields = [
            "region",
            "code",
            "name",
            "city",
            "address",
            "phone",
            "observes_statutory_holidays",
            "is_active",
        ]
        labels = {"region": _("Region")}
        help_texts = {"code": _("The branch's own number, as the company writes it.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = self.fields["region"].queryset.order_by("code")

    def validate_unique(self) -> None:
        """Uniqueness is the action's to check, under its transaction."""


class RegionForm(forms.ModelForm):
    class Meta:
        model = Region
        fields = ["code", "name"]
        help_texts = {"code": _("Letters, digits, - and _; it appears in addresses and exports.")}

    def validate_unique(self) -> None:
        """Uniqueness is the action's to check, under its transaction."""


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "kind", "branch"]
        labels = {"branch": _("Branch")}
        help_texts = {"branch": _("Empty for a head-office department.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branch = self.fields["branch"]
        branch.queryset = branch.queryset.select_related("region").order_by("code")
        branch.label_from_instance = _branch_label
        branch.empty_label = _("Head office")

    def validate_unique(self) -> None:
        """Uniqueness is the action's to check, under its transaction."""
