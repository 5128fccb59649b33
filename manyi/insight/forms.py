from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from manyi.analytics.modelfile import template_names
from manyi.analytics.pls import PLSError
from manyi.org.models import Branch, Region

from .data import survey_catalogue
from .models import Dataset, Programme

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
        widget=forms.RadioSelect(attrs={"class": "choices inline"}),
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
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
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
        labels = [q.label(language) for q in questions]
        # the question's text; its name only where two questions read alike
        choices = [("", _("— choose a question —"))] + [
            (q.name, label if labels.count(label) == 1 else f"{label}（{q.name}）")
            for q, label in zip(questions, labels, strict=True)
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


class ProgrammeForm(forms.Form):
    """A programme of waves: a questionnaire, a model and how often it is measured."""

    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), max_length=200)
    questionnaire = forms.ChoiceField(label=_("Questionnaire"))
    template = forms.ChoiceField(label=_("Model template"), required=False)
    model_yaml = forms.CharField(
        label=_("Model file (YAML)"),
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "code"}),
    )
    mapping = forms.CharField(
        label=_("Items whose names differ from the questions"),
        required=False,
        help_text=_("One per line: item of the model = question name."),
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "code"}),
    )
    wave_by = forms.ChoiceField(label=_("Waves"), choices=Programme.WaveCut.choices)
    starts_on = forms.DateField(
        label=_("First wave begins"), widget=forms.DateInput(attrs={"type": "date"})
    )
    compare_by = forms.ChoiceField(
        label=_("Compare in each wave"), choices=Programme.CompareBy.choices, required=False
    )
    bootstrap = forms.IntegerField(
        label=_("Bootstrap samples (0 = none)"), min_value=0, max_value=10_000, initial=500
    )
    branch = forms.ModelChoiceField(
        label=_("Only this branch"),
        queryset=Branch.objects.none(),
        required=False,
        empty_label=_("— all I may see —"),
    )
    region = forms.ModelChoiceField(
        label=_("Only this region"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("— all I may see —"),
    )

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.visible_to(user)
        self.fields["region"].queryset = Region.objects.filter(
            branches__in=Branch.objects.visible_to(user)
        ).distinct()
        try:
            questionnaires = survey_catalogue().questionnaires(user)
        except PLSError:
            questionnaires = []
        self.fields["questionnaire"].choices = [(q.code, q.title) for q in questionnaires]
        self.fields["template"].choices = [("", _("— keep the text below —"))] + [
            (name, TEMPLATE_TITLES.get(name, name)) for name in template_names()
        ]
        self.fields["template"].widget.attrs["data-templates"] = (
            reverse("insight:list") + "templates/"
        )

    def clean_mapping(self) -> dict[str, str]:
        pairs: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data.get("mapping", "").splitlines(), 1):
            if not line.strip():
                continue
            item, equals, question = line.partition("=")
            if not equals or not item.strip() or not question.strip():
                raise forms.ValidationError(
                    _("Line %(n)d: write it as item = question.") % {"n": number}
                )
            pairs[item.strip()] = question.strip()
        return pairs


COST_SCALES = {"rating": _("a grade, 1 (cheap) to 5 (dear)"), "cny": _("an amount in yuan")}
FEASIBILITY_SCALES = {
    "share": _("a share of the gap to close, 0 to 1"),
    "rating": _("a grade, 1 (hard) to 5 (easy)"),
}


class CostsForm(forms.Form):
    """The analyst's cost and feasibility for each item of the improvement ranking."""

    cost_scale = forms.ChoiceField(label=_("Cost is"), choices=list(COST_SCALES.items()))
    feasibility_scale = forms.ChoiceField(
        label=_("Feasibility is"), choices=list(FEASIBILITY_SCALES.items())
    )

    def __init__(self, *args, items=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.items = list(items)  # (item, label)
        for number, (_item, label) in enumerate(self.items):
            self.fields[f"cost_{number}"] = forms.DecimalField(
                label=label,
                required=False,
                min_value=0,
                max_digits=14,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"aria-label": f"{label} · {_('Cost')}"}),
            )
            self.fields[f"feasibility_{number}"] = forms.DecimalField(
                label=label,
                required=False,
                min_value=0,
                max_digits=6,
                decimal_places=3,
                widget=forms.NumberInput(attrs={"aria-label": f"{label} · {_('Feasibility')}"}),
            )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "label": label,
                "cost": self[f"cost_{number}"],
                "feasibility": self[f"feasibility_{number}"],
            }
            for number, (_item, label) in enumerate(self.items)
        ]

    def costs(self) -> dict[str, dict[str, Any]]:
        return {
            item: {
                "cost": self.cleaned_data.get(f"cost_{number}"),
                "feasibility": self.cleaned_data.get(f"feasibility_{number}"),
            }
            for number, (item, _label) in enumerate(self.items)
        }
