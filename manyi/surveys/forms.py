"""Forms of the survey pages: every POST a page takes is read and typed here, and the views
pass `cleaned_data` to the actions, which decide what is allowed (the API reaches the same
actions through its schemas). A form only converts and bounds what it reads; a refusal by
an action is added to the form (`refuse`), so the page shows it beside what was typed.

The respondent's page posts its answers to the API (`api.submit`), where the
questionnaire's own rules judge them (`manyi.analytics.formlogic`); the staff pages'
scripts (the phone console, the editor's preview) and the feedback widget post JSON,
read by the `JSONForm`s below.
"""

from __future__ import annotations

import json
import re
from typing import Any, Self

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from manyi.analytics.xlsform import Form, form_from_dict, form_to_dict
from manyi.customers.models import Segment
from manyi.org.models import Branch

from .models import Channel, Feedback, Questionnaire

MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1


def refuse(form: forms.Form, error: ValidationError) -> None:
    """An action's refusal, shown above the form (its messages, whatever field they name:
    a model's field may not be one of the form's)."""
    form.add_error(None, list(error.messages))


# -- staff pages ---------------------------------------------------------------------------
class XLSFormUploadForm(forms.Form):
    """The questionnaire list's upload of an XLSForm workbook."""

    file = forms.FileField(
        label=_("Workbook"), error_messages={"required": _("Choose an XLSForm workbook.")}
    )


class LinkForm(forms.Form):
    """A shared link for a counter or poster (QR code unless another channel is chosen)."""

    channel = forms.CharField(label=_("Channel"), required=False)

    def clean_channel(self) -> str:
        return self.cleaned_data["channel"] or Channel.QR


class CallListForm(forms.Form):
    """Drawing a phone-interview sample; the action checks the strata and the size."""

    name = forms.CharField(
        label=pgettext_lazy("of a thing", "Name"), required=False, max_length=200
    )
    segment = forms.ModelChoiceField(
        label=_("Segment"),
        queryset=Segment.objects.all(),
        error_messages={
            "required": _("Choose the segment to invite."),
            "invalid_choice": _("Choose the segment to invite."),
        },
    )
    size = forms.IntegerField(
        label=_("sample size"), required=False, max_value=MAX_INT, initial=100
    )
    seed = forms.IntegerField(
        label=_("random seed"), required=False, min_value=0, max_value=MAX_BIGINT, initial=2026
    )
    stratify_by = forms.CharField(label=_("strata"), required=False)

    def clean_size(self) -> int:
        return self.cleaned_data["size"] or 0

    def clean_seed(self) -> int:
        return self.cleaned_data["seed"] or 0


class CampaignForm(forms.Form):
    """A campaign saved as a draft. Its rules (a quota needs its cell size, the message
    its link, the channel one of ours) are checked by `create_campaign`."""

    name = forms.CharField(label=pgettext_lazy("of a thing", "Name"), required=False)
    segment = forms.ModelChoiceField(
        label=_("Segment"), queryset=Segment.objects.all(), required=False
    )
    channel = forms.CharField(label=_("Channel"), required=False)
    message = forms.CharField(
        label=_("Message"),
        required=False,
        strip=False,
        initial=_(
            "{客户}, thank you for choosing us. Please take a minute to rate our service: {链接}"
        ),
    )
    reminder_after_days = forms.IntegerField(
        label=_("remind non-responders after (days)"), required=False, initial=3
    )
    max_reminders = forms.IntegerField(label=_("reminders at most"), required=False, initial=1)
    quota_by = forms.CharField(label=_("quota by"), required=False)
    quota_per_cell = forms.IntegerField(label=_("responses per cell"), required=False)
    divert_to = forms.ModelChoiceField(
        label=_("when a cell is full, divert to"),
        queryset=Questionnaire.objects.all(),
        to_field_name="code",
        required=False,
    )
    expires_at = forms.DateTimeField(label=_("closes at"), required=False)

    def clean_max_reminders(self) -> int:
        value = self.cleaned_data["max_reminders"]
        return 1 if value is None else value


class CallOutcomeForm(forms.Form):
    """A call's outcome on the interviewer's console; the action checks the outcome and
    the consent a callback needs."""

    outcome = forms.CharField(label=_("Outcome"), required=False)
    callback_at = forms.DateTimeField(
        label=_("Call back at"),
        required=False,
        error_messages={"invalid": _("Give the callback time as date and time.")},
    )
    consent = forms.BooleanField(required=False)
    recording_ref = forms.CharField(label=_("Recording reference"), required=False, strip=False)
    note = forms.CharField(label=_("Note"), required=False, strip=False)


# -- the editor ------------------------------------------------------------------------------
LANGUAGES = ("zh", "en")
SCALE = ("start", "end", "step")
Operation = tuple[str, list[int]]


class QuestionnaireDraftForm(forms.Form):
    """The editor's post: the whole draft travels in it (every question's, option's and
    section's fields, read by `draft_from_post`), with the button pressed (`op`), the
    digest of the version the page started from (`base`) and the note for the trail."""

    op = forms.CharField(required=False, strip=False)
    base = forms.CharField(required=False)
    note = forms.CharField(required=False, strip=False)

    def __init__(self, data: QueryDict, *, base_form: Form) -> None:
        super().__init__(data)
        self.base_form = base_form

    def clean_op(self) -> Operation:
        """The button as (verb, numbers): `up:3` is ("up", [3]); no button is "save"."""
        operation = self.cleaned_data["op"] if "op" in self.data else "save"
        verb, _sep, rest = operation.partition(":")
        numbers = [int(n) for n in rest.split(":") if re.fullmatch(r"-?[0-9]+", n)]
        return verb, numbers

    def clean_note(self) -> str:
        return self.cleaned_data["note"][:300]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["draft"] = draft_from_post(self.data, self.base_form)
        return data


def _merged(original: dict[str, str], post: QueryDict, prefix: str) -> dict[str, str]:
    """The texts after editing: Chinese and English from the page, other languages as
    they were, in their original order (the first constraint message is the fallback)."""
    edited = {lang: post.get(f"{prefix}-{lang}", "").strip() for lang in LANGUAGES}
    plain_as_zh = "zh" not in original and "default" in original
    result: dict[str, str] = {}
    for key, value in original.items():
        key = "zh" if key == "default" and plain_as_zh else key
        if key in LANGUAGES:
            if edited[key]:
                result[key] = edited[key]
        else:
            result[key] = value
    for lang in LANGUAGES:
        if lang not in result and edited[lang]:
            result[lang] = edited[lang]
    return result


def _kept(post: QueryDict, name: str) -> dict[str, Any]:
    """What the page does not show of an element, carried in a hidden field."""
    try:
        value = json.loads(post.get(name) or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _texts(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _count(post: QueryDict, name: str) -> int:
    try:
        return max(0, min(int(post.get(name) or 0), 2000))
    except ValueError:
        return 0


def draft_from_post(post: QueryDict, base: Form) -> Form:
    """The questionnaire as the page's fields describe it. What the page does not show of
    a question, option or section (other languages, defaults, parameters, whatever a later
    version of the form adds) travels in its hidden "keep" field, and the form's own
    settings (form id, languages) come from `base`, the current version."""
    groups: list[dict[str, Any]] = []
    for k in range(_count(post, "groups")):
        name = post.get(f"g{k}-name", "").strip()
        if not name:
            continue
        keep = _kept(post, f"g{k}-keep")
        groups.append(
            {
                **keep,
                "name": name,
                "labels": _merged(_texts(keep.get("labels")), post, f"g{k}-label"),
                "relevant": post.get(f"g{k}-relevant", "").strip(),
            }
        )
    questions: list[dict[str, Any]] = []
    for i in range(_count(post, "questions")):
        prefix = f"q{i}"
        if f"{prefix}-name" not in post:
            continue
        keep = _kept(post, f"{prefix}-keep")
        choices = []
        for j in range(_count(post, f"{prefix}-choices")):
            if f"{prefix}-c{j}-name" not in post:
                continue
            choice_keep = _kept(post, f"{prefix}-c{j}-keep")
            choices.append(
                {
                    **choice_keep,
                    "name": post.get(f"{prefix}-c{j}-name", "").strip(),
                    "labels": _merged(_texts(choice_keep.get("labels")), post, f"{prefix}-c{j}"),
                }
            )
        name = post.get(f"{prefix}-name", "").strip()
        kind = post.get(f"{prefix}-kind", "text")
        parameters = _texts(keep.get("parameters"))
        if kind == "range":
            for key in SCALE:
                value = post.get(f"{prefix}-{key}", "").strip()
                if value:
                    parameters[key] = value
                else:
                    parameters.pop(key, None)
        rule = keep.get("rule") if isinstance(keep.get("rule"), dict) else {}
        questions.append(
            {
                **keep,
                "name": name,
                "kind": kind,
                "labels": _merged(_texts(keep.get("labels")), post, f"{prefix}-label"),
                "hints": _merged(_texts(keep.get("hints")), post, f"{prefix}-hint"),
                "constraint_messages": _merged(
                    _texts(keep.get("constraint_messages")), post, f"{prefix}-message"
                ),
                "rule": {
                    **rule,
                    "name": name,
                    "kind": kind,
                    "required": post.get(f"{prefix}-required_if", "").strip()
                    or ("yes" if post.get(f"{prefix}-required") else ""),
                    "relevant": post.get(f"{prefix}-relevant", "").strip(),
                    "constraint": post.get(f"{prefix}-constraint", "").strip(),
                    "calculation": post.get(f"{prefix}-calculation", "").strip(),
                },
                "choices": choices,
                "group": [g for g in post.get(f"{prefix}-group", "").split("/") if g],
                "appearance": post.get(f"{prefix}-appearance", "").strip(),
                "parameters": parameters,
            }
        )
    definition = {
        **form_to_dict(base),
        "title": post.get("title", "").strip() or base.title,
        "questions": questions,
        "groups": groups,
    }
    try:
        return form_from_dict(definition)
    except (KeyError, TypeError, ValueError):
        raise ValidationError(
            _("The page sent an incomplete questionnaire; open the editor again.")
        ) from None


# -- what the pages' scripts post as JSON -----------------------------------------------------
class JSONForm(forms.Form):
    """A form posted as one JSON object by a script (the widget, the phone console, the
    editor's preview); anything else is refused as "Not JSON.", with the code `not_json`."""

    @classmethod
    def from_body(cls, body: bytes) -> Self:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        form = cls(data if isinstance(data, dict) else {})
        form.readable = isinstance(data, dict)
        return form

    readable = True

    def clean(self) -> dict[str, Any]:
        if not self.readable:
            raise ValidationError(_("Not JSON."), code="not_json")
        return super().clean()

    def not_json(self) -> bool:
        return self.has_error(NON_FIELD_ERRORS, "not_json")

    def message(self) -> str:
        """The form's errors in one sentence, for a JSON answer."""
        return " ".join(str(m) for errors in self.errors.values() for m in errors)


class LooseText(forms.Field):
    """A text as a script sends it: anything is read as text (nothing as ""), cut at
    `max_chars`; the action decides whether it is acceptable."""

    def __init__(self, *, max_chars: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.max_chars = max_chars

    def to_python(self, value: Any) -> str:
        text = str(value or "")
        return text[: self.max_chars] if self.max_chars else text


class AnswersField(forms.Field):
    """Answers as {question: text}: a JSON object whose values are read as text (null as
    an empty answer). With `missing_is_empty` an absent or empty value is no answers;
    without, only an object is accepted."""

    default_error_messages = {"invalid": _("Not JSON.")}

    def __init__(self, *, missing_is_empty: bool = True, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.missing_is_empty = missing_is_empty

    def to_python(self, value: Any) -> dict[str, str]:
        if not value and self.missing_is_empty:
            return {}
        if not isinstance(value, dict):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return {str(k): "" if v is None else str(v) for k, v in value.items()}


class InterviewForm(JSONForm):
    """The phone console's answers (judged like a respondent's by `complete_interview`)."""

    answers = AnswersField()
    recording_ref = LooseText()


class PreviewAnswersForm(JSONForm):
    """Answers given in the editor's preview; checked, never stored."""

    answers = AnswersField(missing_is_empty=False)
    language = LooseText()

    def clean_language(self) -> str:
        return "zh" if (self.cleaned_data["language"] or "zh").startswith("zh") else "en"


class WidgetFeedbackForm(JSONForm):
    """What the embeddable feedback widget sends from the company's own web pages."""

    branch = LooseText()
    kind = LooseText()
    text = LooseText(max_chars=2000)
    contact = LooseText(max_chars=120)

    def clean_branch(self) -> Branch:
        code = self.cleaned_data["branch"]
        branch = Branch.objects.filter(code=code, is_active=True).first()
        if branch is None:
            raise ValidationError(_("Not found."), code="not_found")
        return branch

    def clean_kind(self) -> str:
        kind = self.cleaned_data["kind"] or Feedback.Kind.OPINION
        if kind not in Feedback.Kind.values:
            raise ValidationError(_("Unknown kind."), code="unknown_kind")
        return kind
