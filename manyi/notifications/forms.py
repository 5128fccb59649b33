from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Digest, Kind


class PreferenceForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send these by e-mail"),
        choices=Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    digest = forms.ChoiceField(
        label=_("How the e-mails come"), choices=Digest.choices, widget=forms.RadioSelect
    )
