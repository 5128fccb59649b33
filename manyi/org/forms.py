from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


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
