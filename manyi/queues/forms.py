"""Forms of the queue pages; the actions save what they check."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from manyi.core.versioning import VersionedForm

from .models import QueueSettings


class QueueRulesForm(VersionedForm, forms.ModelForm):
    """The branch's line rules: it sends only what the manager changed, from the version
    the page showed, so two managers changing different rules both keep theirs."""

    class Meta:
        model = QueueSettings
        fields = [
            "vip_head_start_s",
            "elderly_head_start_s",
            "appointment_early_s",
            "appointment_late_s",
            "recall_limit",
            "target_wait_minutes",
            "by_preference",
            "remote_check_in",
            "running_text",
        ]
        widgets = {
            "recall_limit": forms.NumberInput(attrs={"min": 1}),
            "target_wait_minutes": forms.NumberInput(attrs={"min": 1}),
        }


class RowVersionForm(forms.Form):
    """The version a row of the set-up table was shown at (its other inputs are read by
    the set-up view, one row per post)."""

    version = forms.IntegerField(required=False, min_value=1, max_value=2**62)

    def seen(self) -> int | None:
        if not self.is_valid():
            raise ValidationError(_("This page is out of date: reload it and try again."))
        return self.cleaned_data.get("version")
