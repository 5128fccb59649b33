from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from manyi.org.models import Branch


def _parse_lines(text: str, *, with_names: bool) -> list:
    """One date per line (YYYY-MM-DD), optionally followed by the holiday's name;
    a range 2027-10-01..2027-10-07 expands to every day in it."""
    result = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip().replace("～", "..").replace("~", "..")
        if not line:
            continue
        head, _sep, name = line.partition(" ")
        try:
            if ".." in head:
                first_text, last_text = head.split("..", 1)
                first = dt.date.fromisoformat(first_text)
                last = dt.date.fromisoformat(last_text)
                if last < first:
                    raise ValueError
                days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
            else:
                days = [dt.date.fromisoformat(head)]
        except ValueError as exc:
            raise forms.ValidationError(
                _(
                    "Line %(line)s: “%(text)s” is not a date like 2027-10-01 or a range "
                    "2027-10-01..2027-10-07."
                ),
                params={"line": number, "text": raw.strip()},
            ) from exc
        result.extend((day, name.strip()) if with_names else day for day in days)
    return result


class OfficialYearForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    holidays = forms.CharField(
        label=_("Statutory holidays"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "One per line: a date or a range, then the name, e.g. “2027-10-01..2027-10-07 国庆节”."
        ),
    )
    workdays = forms.CharField(
        label=_("Make-up working days"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Weekend days that are working days, one per line."),
    )
    source = forms.CharField(label=_("Source"), required=False, max_length=300)

    def clean_holidays(self) -> list[tuple[dt.date, str]]:
        return _parse_lines(self.cleaned_data["holidays"], with_names=True)

    def clean_workdays(self) -> list[dt.date]:
        return _parse_lines(self.cleaned_data.get("workdays") or "", with_names=False)


class ClosureForm(forms.Form):
    branch = forms.ModelChoiceField(
        label=_("Branch"),
        queryset=Branch.objects.none(),
        required=False,
        empty_label=_("All branches"),
    )
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.visible_to(user)
