from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from manyi.core import ratelimit


class AuditFilterForm(forms.Form):
    object_type = forms.CharField(
        label=_("Object type"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "org.staff"}),
    )
    object_id = forms.CharField(label=_("Object id"), required=False)
    actor = forms.CharField(label=_("Who"), required=False)
    action = forms.CharField(label=_("Action"), required=False)
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


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
