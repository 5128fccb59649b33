from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from manyi.analytics.modelfile import template_names
from manyi.org.models import Branch

from .models import Dataset

TEMPLATE_TITLES = {
    "china": _("China-style model (brand image … loyalty)"),
    "ecsi": _("ECSI (European index)"),
    "acsi": _("ACSI (American index)"),
}
# The inner weighting schemes and the treatments of missing values, by the names the model
# file and the results use.
SCHEMES = {"path": _("Path"), "centroid": _("Centroid"), "factorial": _("Factorial")}
MISSING_TREATMENTS = {
    "casewise": _("Drop incomplete respondents"),
    "mean": _("Replace by the item mean"),
}


class AnalysisForm(forms.Form):
    dataset = forms.ModelChoiceField(
        label=_("Data set"),
        queryset=Dataset.objects.none(),
        required=False,
        empty_label=_("— upload a new file below —"),
    )
    file = forms.FileField(label=_("Or upload survey data (.xlsx, .xls or .csv)"), required=False)
    name = forms.CharField(label=_("Name of the data set"), max_length=200, required=False)
    branch = forms.ModelChoiceField(
        label=_("Branch the data belongs to"),
        queryset=Branch.objects.none(),
        required=False,
        empty_label=_("Company-wide"),
    )
    template = forms.ChoiceField(label=_("Model template"), required=False)
    model_yaml = forms.CharField(
        label=_("Model file (YAML)"),
        strip=False,  # indentation is meaningful in YAML
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
    )
    target = forms.CharField(label=_("Target construct"), max_length=100, required=False)
    scheme = forms.ChoiceField(
        label=_("Inner weighting scheme"),
        choices=list(SCHEMES.items()),
        initial="path",
    )
    missing = forms.ChoiceField(
        label=_("Missing values"),
        choices=[("", _("As the model file says")), *MISSING_TREATMENTS.items()],
        required=False,
    )
    bootstrap = forms.IntegerField(
        label=_("Bootstrap samples (0 = none)"), min_value=0, max_value=10_000, initial=1000
    )
    seed = forms.IntegerField(label=_("Random seed"), initial=2026, min_value=0)
    group = forms.CharField(
        label=_("Compare groups by column (optional)"), max_length=100, required=False
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.visible_to(user)
        self.fields["branch"].queryset = Branch.objects.visible_to(user)
        self.fields["template"].choices = [("", _("— keep the text below —"))] + [
            (name, TEMPLATE_TITLES.get(name, name)) for name in template_names()
        ]
        self.fields["template"].widget.attrs["data-templates"] = (
            reverse("insight:list") + "templates/"
        )

    def clean_file(self):
        from .actions import MAX_UPLOAD_BYTES

        upload = self.cleaned_data.get("file")
        if upload is not None and upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB; split it or sample it first.")
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        return upload

    def clean(self):
        data = super().clean()
        if not data.get("dataset") and not data.get("file"):
            raise forms.ValidationError(_("Choose a data set or upload a file."))
        return data
