from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.org.models import Branch


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("Name, pinyin initials, phone or last 4 digits"),
                "autofocus": True,
                "type": "search",
            }
        ),
    )
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    branch = forms.CharField(label=_("Branch code"), required=False, max_length=32)


class TimelinePageForm(forms.Form):
    """The customer page's "older" link: entries before this time (Beijing time when it
    carries no time zone); anything unreadable shows the newest entries."""

    before = forms.DateTimeField(required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx, .xls or .csv)"))
    branch = forms.ModelChoiceField(
        label=_("Branch for rows without one"), queryset=Branch.objects.none(), required=False
    )
    atomic = forms.BooleanField(
        label=_("All or nothing: import nothing if any row is bad"), required=False
    )
    confirm = forms.BooleanField(label=_("Import now (otherwise only a preview)"), required=False)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.visible_to(user)


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    rules = forms.CharField(
        label=_("Rules (JSON)"),
        widget=forms.Textarea(attrs={"rows": 5}),
        initial='[{"field": "tier", "op": "in", "value": ["key", "vip"]}]',
    )
    strategy = forms.CharField(
        label=_("Strategy for this segment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_rules(self):
        try:
            rules = json.loads(self.cleaned_data["rules"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                _("The rules are not valid JSON: %(error)s") % {"error": exc.msg}
            ) from exc
        return rules
