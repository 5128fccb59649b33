from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from manyi.analytics.modelfile import template_names
from manyi.analytics.pls import PLSError
from manyi.org.models import Branch, Region

from .data import survey_catalogue
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


SOURCES = {
    "survey": _("A questionnaire's responses"),
    "dataset": _("A data set used before"),
    "upload": _("Upload a file"),
}
WAVE_CUTS = {
    "quarter": _("by quarter"),
    "half": _("by half-year"),
    "month": _("by month"),
    "year": _("by year"),
    "campaign": _("by campaign"),
}


class AnalysisForm(forms.Form):
    source = forms.ChoiceField(
        label=_("Where the answers come from"),
        choices=list(SOURCES.items()),
        initial="survey",
        required=False,  # a request without it names a data set or a file
        widget=forms.RadioSelect,
    )
    questionnaire = forms.ChoiceField(label=_("Questionnaire"), required=False)
    version = forms.TypedChoiceField(
        label=_("Questionnaire version"), required=False, coerce=int, empty_value=None
    )
    since = forms.DateField(
        label=_("Answered from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        label=_("Answered until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    campaigns = forms.TypedMultipleChoiceField(
        label=_("Only these campaigns"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    region = forms.ModelChoiceField(
        label=_("Region the data belongs to"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("— all I may see —"),
    )
    wave_by = forms.ChoiceField(
        label=_("Waves"), choices=list(WAVE_CUTS.items()), initial="quarter", required=False
    )
    survey_group = forms.ChoiceField(label=_("Compare groups by"), required=False)
    check_mapping = forms.BooleanField(
        label=_("Check how the model's items meet the questions before running"),
        required=False,
    )
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
        self.fields["dataset"].queryset = Dataset.objects.visible_to(user).defer("content")
        self.fields["branch"].queryset = Branch.objects.visible_to(user)
        self.fields["region"].queryset = Region.objects.filter(
            branches__in=Branch.objects.visible_to(user)
        ).distinct()
        try:
            catalogue = survey_catalogue()
            self.questionnaires = catalogue.questionnaires(user)
            groups = catalogue.group_labels()
        except PLSError:
            self.questionnaires, groups = [], {}
        self.fields["questionnaire"].choices = [
            (q.code, _("%(title)s (%(n)s responses)") % {"title": q.title, "n": q.responses})
            for q in self.questionnaires
        ]
        versions = sorted({v for q in self.questionnaires for v in q.versions})
        self.fields["version"].choices = [("", _("All versions"))] + [
            (v, _("Version %(v)d") % {"v": v}) for v in versions
        ]
        self.fields["campaigns"].choices = [
            (pk, name) for q in self.questionnaires for pk, name in q.campaigns
        ]
        self.fields["survey_group"].choices = [("", _("— no comparison —")), *groups.items()]
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
        source = data.get("source") or (
            "dataset" if data.get("dataset") else "upload" if data.get("file") else ""
        )
        data["source"] = source
        if not source:
            raise forms.ValidationError(_("Choose a data set or upload a file."))
        if source == "survey":
            if not data.get("questionnaire"):
                self.add_error("questionnaire", _("Choose a questionnaire."))
            chosen = next(
                (q for q in self.questionnaires if q.code == data.get("questionnaire")), None
            )
            if chosen and data.get("version") and data["version"] not in chosen.versions:
                self.add_error("version", _("This questionnaire has no such version."))
            own = {pk for pk, _name in chosen.campaigns} if chosen else set()
            if chosen and set(data.get("campaigns") or ()) - own:
                self.add_error("campaigns", _("Choose campaigns of this questionnaire."))
            if data.get("region") and data.get("branch"):
                self.add_error("region", _("Choose a branch or a region, not both."))
        elif source == "dataset" and not data.get("dataset"):
            self.add_error("dataset", _("Choose a data set."))
        elif source == "upload" and not data.get("file"):
            self.add_error("file", _("Choose a file to upload."))
        return data


class MappingForm(forms.Form):
    """Which question each of the model's items reads (one choice per item, the automatic
    match preselected), with the data set, model and options the analysis runs with."""

    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), widget=forms.HiddenInput)
    model_yaml = forms.CharField(strip=False, widget=forms.HiddenInput)
    options = forms.JSONField(widget=forms.HiddenInput)

    def __init__(self, *args, user=None, items=(), questions=(), mapping=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.visible_to(user).defer("content")
        language = get_language() or "zh-hans"
        choices = [("", _("— choose a question —"))] + [
            (q.name, f"{q.label(language)}（{q.name}）") for q in questions
        ]
        self.items = list(items)
        for number, item in enumerate(self.items):
            self.fields[f"item_{number}"] = forms.ChoiceField(
                label=item,
                choices=choices,
                required=False,
                initial=(mapping.mapped.get(item, "") if mapping else ""),
            )

    def clean_options(self):
        options = self.cleaned_data["options"]
        if not isinstance(options, dict):
            raise forms.ValidationError(_("The analysis options were lost; start again."))
        return options

    def mapping(self) -> dict[str, str]:
        return {
            item: self.cleaned_data.get(f"item_{number}") or ""
            for number, item in enumerate(self.items)
        }
