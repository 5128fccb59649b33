"""Forms for the ticket configuration pages; the actions save what they check."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.core.versioning import VersionedForm
from manyi.org.models import Staff

from .models import (
    ApprovalRule,
    AssignmentRule,
    CannedReply,
    ReasonCode,
    Settings,
    SLAPolicy,
    Ticket,
)
from .policy import MAX_TARGET_MINUTES


def bounded(field: forms.Field, low: int, high: int) -> None:
    """The number input's own bounds (the browser's arrows and check): a positive-integer
    model field offers min="0" on its own, and Meta widgets' attributes are overwritten by
    it. The form's clean refuses what lies outside, with its reason."""
    field.widget.attrs.update(min=low, max=high)


class ReasonCodeForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = ReasonCode
        fields = ["code", "name", "parent", "active"]


class SLAPolicyForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = SLAPolicy
        fields = [
            "name",
            "ticket_type",
            "priority",
            "first_response_minutes",
            "same_day_reply",
            "resolution_minutes",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A target of at least a minute and at most what a deadline can be found for.
        for name in ("first_response_minutes", "resolution_minutes"):
            bounded(self.fields[name], 1, MAX_TARGET_MINUTES)

    def clean(self) -> dict:
        data = super().clean()
        first, resolution = data.get("first_response_minutes"), data.get("resolution_minutes")
        if first is not None and resolution is not None and resolution < first:
            raise forms.ValidationError(
                _("The resolution target cannot be shorter than the first response target.")
            )
        if first == 0:
            raise forms.ValidationError(_("The first response target must be at least a minute."))
        for name in ("first_response_minutes", "resolution_minutes"):
            if (data.get(name) or 0) > MAX_TARGET_MINUTES:
                self.add_error(
                    name,
                    _("At most %(n)s business minutes (sixty working days).")
                    % {"n": f"{MAX_TARGET_MINUTES:,}"},
                )
        return data


class ApprovalRuleForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = ApprovalRule
        fields = ["role", "rank", "max_amount", "max_severity", "two_step"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bounded(self.fields["max_severity"], 1, 4)  # 1 minor … 4 critical

    def clean_max_severity(self) -> int:
        value = self.cleaned_data["max_severity"]
        if not 1 <= value <= 4:
            raise forms.ValidationError(_("Severity runs from 1 to 4."))
        return value


class SettingsForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = Settings
        fields = ["repeat_window_days", "follow_up_after_minutes"]

    def clean_repeat_window_days(self) -> int:
        value = self.cleaned_data["repeat_window_days"]
        if not 1 <= value <= 365:
            raise forms.ValidationError(_("Between 1 and 365 days."))
        return value


class CannedReplyForm(VersionedForm, forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "ticket_type", "body", "active"]


class AssignmentRuleForm(VersionedForm, forms.ModelForm):
    pool = forms.ModelMultipleChoiceField(
        label=_("People"),
        queryset=Staff.objects.filter(user__is_active=True).order_by("name"),
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = AssignmentRule
        fields = ["name", "branch", "reason", "strategy", "active"]


class AnalysisForm(VersionedForm, forms.ModelForm):
    """Step 3 on the ticket's page: it sends only what the agent changed, from the
    version the page showed, so a colleague's change to another field is kept."""

    class Meta:
        model = Ticket
        fields = [
            "cause",
            "severity",
            "company_fault",
            "customer_demand",
            "relationship",
            "word_of_mouth_risk",
        ]
        widgets = {
            "cause": forms.TextInput,
            "customer_demand": forms.TextInput,
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("severity", "word_of_mouth_risk"):
            bounded(self.fields[name], 1, 4)  # 1 minor … 4 critical
        relationship = self.fields["relationship"]
        relationship.choices = [("", "—"), *list(relationship.choices)[1:]]

    def clean(self) -> dict:
        data = super().clean()
        for name in ("severity", "word_of_mouth_risk"):
            value = data.get(name)
            if value is not None and not 1 <= value <= 4:
                self.add_error(name, _("From 1 to 4."))
        return data
