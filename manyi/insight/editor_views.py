"""The model editor's two reads (insight/model_editor.js on /insight/new/): the items the
chosen data offers, and a model checked and written as YAML.

The editor sends its model as a description (blocks with their items, paths, target) and
gets back the YAML the analysis reads, or sends the YAML typed beside it and gets back the
description to show. Either way the model goes through `load_model`, the same check the
analysis makes, so the editor never accepts what a run would refuse. Nothing is stored.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Self

import yaml
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, JsonResponse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from ninja import Field, Schema
from pydantic import ConfigDict
from pydantic import ValidationError as PydanticValidationError

from manyi.analytics.modelfile import MAX_MODEL_CHARS, IndexModel, dump_model, load_model
from manyi.analytics.pls import PLSError
from manyi.analytics.survey import ItemSpec
from manyi.org.permissions import require_permission

from .data import survey_catalogue
from .models import Dataset

MAX_BLOCKS = 100
MAX_ITEMS = 1000
MAX_PATHS = 1000
MAX_CODES = 50


def _language() -> str:
    return get_language() or "zh-hans"


# -- the editor's description of a model --------------------------------------------------
class _Strict(Schema):
    """A misspelt key is refused rather than silently dropped from the model."""

    model_config = ConfigDict(extra="forbid")


Name = Annotated[str, Field(max_length=200)]
Text = Annotated[str, Field(max_length=2000)]
Code = int | float | str  # a "don't know" answer: a number or a word
Codes = Annotated[list[Code], Field(max_length=MAX_CODES)]
Scale = tuple[float | None, float | None]  # either end may still be empty while editing


class ItemIn(_Strict):
    name: Name
    label: Text = ""
    reverse: bool = False
    scale: Scale | None = None  # only where it differs from the block's
    dont_know: Codes = Field(default_factory=list)  # only where it differs from the block's


class BlockIn(_Strict):
    name: Name
    labels: dict[Annotated[str, Field(max_length=10)], Name] = Field(default_factory=dict)
    mode: Literal["A", "B"] = "A"
    scale: Scale | None = None
    dont_know: Codes = Field(default_factory=list)
    items: Annotated[list[ItemIn], Field(max_length=MAX_ITEMS)] = Field(default_factory=list)


class ModelIn(_Strict):
    name: Text = ""
    description: Text = ""
    scheme: Name = "path"
    missing: Name = "casewise"
    weights: Name | None = None
    dont_know: Codes = Field(default_factory=list)
    blocks: Annotated[list[BlockIn], Field(max_length=MAX_BLOCKS)] = Field(default_factory=list)
    paths: Annotated[list[tuple[Name, Name]], Field(max_length=MAX_PATHS)] = Field(
        default_factory=list
    )
    target: Name | None = None


# -- the requests -------------------------------------------------------------------------
class ColumnsForm(forms.Form):
    """Whose items to offer: a questionnaire's rating questions or a data set's columns."""

    questionnaire = forms.ChoiceField(required=False)
    version = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    dataset = forms.ModelChoiceField(queryset=Dataset.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].queryset = Dataset.objects.visible_to(user).defer("content")
        self.questionnaires = []
        if self.data.get("questionnaire"):  # the catalogue is read only when asked for
            with contextlib.suppress(PLSError):  # no survey module: nothing to offer
                self.questionnaires = survey_catalogue().questionnaires(user)
        self.fields["questionnaire"].choices = [(q.code, q.title) for q in self.questionnaires]
        self.fields["version"].choices = [
            (v, v) for v in sorted({v for q in self.questionnaires for v in q.versions})
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("questionnaire")) == bool(data.get("dataset")):
            raise forms.ValidationError(_("Name a questionnaire or a data set."))
        return data


class CheckForm(forms.Form):
    """What the editor posts as one JSON object: its model (`model`), or the YAML text
    typed beside it (`yaml`)."""

    yaml = forms.CharField(required=False, strip=False, max_length=MAX_MODEL_CHARS)
    model = forms.JSONField(required=False)

    readable = True

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        form = cls(data if isinstance(data, dict) else {})
        form.readable = isinstance(data, dict)
        return form

    def clean_model(self) -> ModelIn | None:
        value = self.cleaned_data.get("model")
        if value is None:
            return None
        try:
            return ModelIn.model_validate(value)
        except PydanticValidationError:
            raise forms.ValidationError(_("The editor's model cannot be read.")) from None

    def clean(self) -> dict[str, Any]:
        if not self.readable:
            raise forms.ValidationError(_("Not JSON."))
        data = super().clean()
        if not self.errors and (data.get("model") is None) == (data.get("yaml") in (None, "")):
            raise forms.ValidationError(_("Send a model or a YAML text."))
        return data


def _refusal(errors: Iterable[str], status: int) -> JsonResponse:
    return JsonResponse(
        {"ok": False, "errors": [{"message": str(m)} for m in errors]},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def _form_errors(form: forms.Form) -> list[str]:
    return [str(m) for errors in form.errors.values() for m in errors]


# -- the endpoints ------------------------------------------------------------------------
@login_required
@require_GET
def columns(request: HttpRequest) -> JsonResponse:
    """The items the editor offers: `?questionnaire=CODE[&version=N]` or `?dataset=PK`."""
    try:
        require_permission(request.user, "insight.run")
    except PermissionDenied as refusal:
        return _refusal([str(refusal)], 403)
    form = ColumnsForm(request.GET, user=request.user)
    if not form.is_valid():
        return _refusal(_form_errors(form), 400)
    language = _language()
    data = form.cleaned_data
    try:
        if data["questionnaire"]:
            selection = {"questionnaire": data["questionnaire"], "version": data["version"]}
            found = _rating_items(selection, language)
        else:
            found = _dataset_items(data["dataset"], language)
    except PLSError as error:
        return _refusal([error.message(language)], 400)
    return JsonResponse({"columns": found}, json_dumps_params={"ensure_ascii": False})


def _rating_items(selection: dict[str, Any], language: str) -> list[dict[str, Any]]:
    return [
        {"name": item.name, "label": item.label(language), "scale": _scale_out(item.scale)}
        for item in survey_catalogue().items(selection)
    ]


def _dataset_items(dataset: Dataset, language: str) -> list[dict[str, Any]]:
    """A questionnaire's data set offers its questions (with their texts); a file, its
    columns (which are their own labels)."""
    if dataset.source == Dataset.Source.SURVEY and dataset.selection:
        try:
            questions = _rating_items(dataset.selection, language)
        except PLSError:
            questions = []
        stored = set(dataset.columns)
        if questions:
            return [q for q in questions if not stored or q["name"] in stored]
    return [{"name": str(c), "label": str(c), "scale": None} for c in dataset.columns]


@login_required
@require_POST
def check(request: HttpRequest) -> JsonResponse:
    """The model checked as the analysis checks it, with its YAML; `ok` is false and
    `errors` say what to fix (in the page's language) when it would be refused."""
    try:
        require_permission(request.user, "insight.run")
    except PermissionDenied as refusal:
        return _refusal([str(refusal)], 403)
    form = CheckForm.from_body(request.body)
    if not form.is_valid():
        return _refusal(_form_errors(form), 400)
    language = _language()
    described = form.cleaned_data["model"]
    if described is None:
        answer = _check_text(form.cleaned_data["yaml"], language)
    else:
        answer = _check_description(described, language)
    return JsonResponse(answer, json_dumps_params={"ensure_ascii": False})


def _check_text(text: str, language: str) -> dict[str, Any]:
    """YAML typed by hand: read it into the editor's description where it parses."""
    try:
        model = load_model(text)
    except PLSError as error:
        return {"ok": False, "errors": [{"message": error.message(language)}], "yaml": text}
    return {"ok": True, "errors": [], "yaml": model_yaml(model), "model": describe(model)}


def _check_description(described: ModelIn, language: str) -> dict[str, Any]:
    """The editor's model: what to fix, block by block and path by path, then what
    `load_model` says (a cycle, for example); the YAML is written even while there are
    problems, so the text always shows what the editor holds."""
    errors = problems(described)
    duplicate = len({b.name.strip() for b in described.blocks}) < len(described.blocks)
    # Two blocks of one name cannot be written (the second would replace the first).
    text = None if duplicate else _dump(document(described))
    if not errors and text is not None:
        try:
            load_model(text)
        except PLSError as error:
            errors.append({"message": error.message(language)})
    return {"ok": not errors, "errors": errors, "yaml": text}


# -- checking the description ---------------------------------------------------------------
def problems(model: ModelIn) -> list[dict[str, Any]]:
    """Every mistake at once, each with where it is (`block` or `path`, by position, or
    `field`), so the editor can show it beside what to fix."""
    found: list[dict[str, Any]] = []

    def add(message: str, **where: Any) -> None:
        found.append({"message": message, **where})

    if not model.blocks:
        add(_("Add at least one block."))
    names: dict[str, int] = {}
    owners: dict[str, str] = {}
    for number, block in enumerate(model.blocks):
        name = block.name.strip()
        if not name:
            add(_("Give this block a name."), block=number)
        elif name in names:
            add(
                _("Two blocks are called “%(name)s”; give each its own name.") % {"name": name},
                block=number,
            )
        names.setdefault(name, number)
        if not block.items:
            add(
                _("“%(name)s” has no items yet: pick at least one.")
                % {"name": name or _("This block")},
                block=number,
            )
        for item in block.items:
            item_name = item.name.strip()
            if not item_name:
                add(_("An item needs a name."), block=number)
            elif item_name in owners:
                add(
                    _("Item “%(item)s” is in both “%(first)s” and “%(second)s”.")
                    % {"item": item_name, "first": owners[item_name], "second": name},
                    block=number,
                )
            else:
                owners[item_name] = name
        found.extend(_scale_problems(block.scale, number))
    seen: set[tuple[str, str]] = set()
    for number, (source, target) in enumerate(model.paths):
        source, target = source.strip(), target.strip()
        if not source or not target:
            add(_("Choose where this path starts and where it leads."), path=number)
            continue
        missing = [end for end in (source, target) if end not in names]
        if missing:
            add(
                _("This path leads to “%(name)s”, which is not a block.") % {"name": missing[0]},
                path=number,
            )
        elif source == target:
            add(_("A path cannot lead from a block to itself."), path=number)
        elif (source, target) in seen:
            add(_("This path is listed twice."), path=number)
        seen.add((source, target))
    if model.target and model.target.strip() and model.target.strip() not in names:
        add(
            _("The target “%(name)s” is not a block.") % {"name": model.target},
            field="target",
        )
    return found


def _scale_problems(scale: Scale | None, number: int) -> list[dict[str, Any]]:
    if scale is None or scale == (None, None):
        return []
    low, high = scale
    if low is None or high is None:
        return [{"message": _("A scale needs its minimum and its maximum."), "block": number}]
    if high <= low:
        return [{"message": _("The scale's maximum must be above its minimum."), "block": number}]
    return []


# -- description <-> YAML ---------------------------------------------------------------
def document(model: ModelIn) -> dict[str, Any]:
    """The model file the description stands for, written the short way a person would
    (a block's shared scale once, its items by name where they need nothing more)."""
    out: dict[str, Any] = {}
    if model.name:
        out["name"] = model.name
    if model.description:
        out["description"] = model.description
    if model.scheme != "path":
        out["scheme"] = model.scheme
    if model.missing != "casewise":
        out["missing"] = model.missing
    if model.dont_know:
        out["dont_know"] = list(model.dont_know)
    if model.weights:
        out["weights"] = model.weights
    if model.target and model.target.strip():
        out["target"] = model.target.strip()
    blocks: dict[str, Any] = {}
    for block in model.blocks:
        entry: dict[str, Any] = {}
        label = _label_out(block.labels)
        if label:
            entry["label"] = label
        entry["mode"] = block.mode
        if block.scale is not None and block.scale != (None, None):
            entry["scale"] = [_plain(v) for v in block.scale]
        if block.dont_know:
            entry["dont_know"] = list(block.dont_know)
        entry["items"] = [_item_out(item) for item in block.items]
        blocks[block.name.strip()] = entry
    out["blocks"] = blocks
    out["paths"] = [[s.strip(), t.strip()] for s, t in model.paths]
    return out


def _label_out(labels: dict[str, str]) -> str | dict[str, str] | None:
    kept = {k: v.strip() for k, v in labels.items() if v and v.strip()}
    if not kept:
        return None
    if set(kept) == {"zh", "en"} and kept["zh"] == kept["en"]:
        return kept["zh"]  # one text for both languages, as `label: 质量` reads
    return kept


def _item_out(item: ItemIn) -> str | dict[str, Any]:
    entry: dict[str, Any] = {"name": item.name.strip()}
    if item.label:
        entry["label"] = item.label
    if item.reverse:
        entry["reverse"] = True
    if item.scale is not None and item.scale != (None, None):
        entry["scale"] = [_plain(v) for v in item.scale]
    if item.dont_know:
        entry["dont_know"] = list(item.dont_know)
    return entry["name"] if len(entry) == 1 else entry


def _plain(value: float | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _scale_out(scale: tuple[float, float] | None) -> list[int | float | None] | None:
    return None if scale is None else [_plain(v) for v in scale]


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100
    )


def _common(values: Iterable[Any]) -> Any:
    """The value every entry shares, or None when they differ (or there are none)."""
    values = list(values)
    return values[0] if values and all(v == values[0] for v in values) else None


def describe(model: IndexModel) -> dict[str, Any]:
    """A parsed model as the editor shows it: what a block's items share (scale, "don't
    know" codes) on the block, what an item has of its own on the item."""
    specs = model.items
    everyone = _common(specs[n].dont_know for n in model.path_model.items) or ()
    blocks = []
    for construct, names in model.path_model.blocks.items():
        own = [specs.get(n, ItemSpec()) for n in names]
        scale = _common(s.scale for s in own)
        codes = _common(s.dont_know for s in own)
        block_codes = codes if codes and codes != everyone else ()
        fallback = block_codes or everyone
        items = []
        for name, spec in zip(names, own, strict=True):
            entry: dict[str, Any] = {"name": name}
            if spec.label:
                entry["label"] = spec.label
            if spec.reverse:
                entry["reverse"] = True
            if spec.scale is not None and spec.scale != scale:
                entry["scale"] = _scale_out(spec.scale)
            if spec.dont_know and spec.dont_know != fallback:
                entry["dont_know"] = list(spec.dont_know)
            items.append(entry)
        blocks.append(
            {
                "name": construct,
                "labels": dict(model.labels.get(construct, {})),
                "mode": model.path_model.mode(construct),
                "scale": _scale_out(scale),
                "dont_know": list(block_codes),
                "items": items,
            }
        )
    return {
        "name": model.name,
        "description": model.description,
        "scheme": model.scheme,
        "missing": model.missing,
        "weights": str(model.weights) if model.weights else None,
        "dont_know": list(everyone),
        "blocks": blocks,
        "paths": [[s, t] for s, t in model.path_model.paths],
        "target": model.target,
    }


def model_yaml(model: IndexModel) -> str:
    """The model's YAML the short way when that reads back to the very same model, else
    the full form `dump_model` writes."""
    text = _dump(document(ModelIn.model_validate(describe(model))))
    try:
        if load_model(text) == model:
            return text
    except PLSError:
        pass
    return dump_model(model)
