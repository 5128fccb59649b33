from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from manyi.core import ratelimit


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
