"""Editing a questionnaire on a page, for the customer-service manager who owns it.

The page is plain server-rendered forms: the whole draft travels in every post (read by
`forms.QuestionnaireDraftForm`), and the buttons that move, add or remove a question or an
option change the draft on the server and show it again (nothing is stored until "Save"),
so the rules about what may be removed live in one place. Saving goes through
`actions.edit_questionnaire`, which checks the form and decides between a new version and
an in-place change. The draft can be previewed on the respondent's page, and the current
version downloaded as an XLSForm.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from manyi.analytics.formcheck import (
    REQUIRED_NO,
    REQUIRED_YES,
    SELECT_KINDS,
    check_form,
    normalise,
    referrers,
)
from manyi.analytics.formlogic import ExpressionError, Rule, run_form
from manyi.analytics.xlsform import (
    Choice,
    Form,
    Group,
    Question,
    XLSFormError,
    form_from_dict,
    form_to_dict,
    write_xlsform,
)
from manyi.org.permissions import require_permission

from . import actions, reading
from .forms import SCALE, Operation, PreviewAnswersForm, QuestionnaireDraftForm
from .manage_views import question_label
from .models import Questionnaire, QuestionnaireVersion
from .views import respondent_texts

KINDS = [
    ("text", pgettext_lazy("question type", "Text")),
    ("integer", pgettext_lazy("question type", "Whole number")),
    ("decimal", pgettext_lazy("question type", "Number")),
    ("date", pgettext_lazy("question type", "Date")),
    ("select_one", pgettext_lazy("question type", "Single choice")),
    ("select_multiple", pgettext_lazy("question type", "Multiple choice")),
    ("rank", pgettext_lazy("question type", "Ranking")),
    ("range", pgettext_lazy("question type", "Rating scale")),
    ("note", pgettext_lazy("question type", "Note (text only, no answer)")),
    ("calculate", pgettext_lazy("question type", "Calculated field")),
    ("hidden", pgettext_lazy("question type", "Hidden field")),
]
COLUMN_NAMES = {
    "relevant": gettext_lazy("show when"),
    "constraint": gettext_lazy("answer must satisfy"),
    "calculation": gettext_lazy("calculation"),
    "required": gettext_lazy("required when"),
}
PREVIEW_KEY = "surveys.preview.%s"


# -- the draft shown in the page's fields (read back by `forms.draft_from_post`) --------------
digest = reading.definition_digest


def _shown(texts: dict[str, str]) -> dict[str, str]:
    """What the Chinese and English fields show; a text without a language (a plain
    `label` column) is shown, and saved, as the Chinese one."""
    return {
        "zh": texts.get("zh", texts.get("default", "")),
        "en": texts.get("en", ""),
    }


def _question_row(index: int, question: Question, labels: dict[str, str]) -> dict[str, Any]:
    rule = question.rule
    shown_required = rule.required.strip()
    plain = shown_required.lower() in REQUIRED_YES | REQUIRED_NO
    required_if = "" if plain or not shown_required else shown_required
    advanced = any(
        (required_if, rule.relevant, rule.constraint, rule.calculation, question.appearance)
    ) or any(question.constraint_messages.values())
    return {
        "index": index,
        "name": question.name,
        "kind": question.kind,
        "label": _shown(question.labels),
        "hint": _shown(question.hints),
        "message": _shown(question.constraint_messages),
        "required": shown_required.lower() in REQUIRED_YES,
        "required_if": required_if,
        "relevant": rule.relevant,
        "constraint": rule.constraint,
        "calculation": rule.calculation,
        "appearance": question.appearance,
        "scale": {key: question.parameters.get(key, "") for key in SCALE},
        "group": "/".join(question.group),
        "other_of": question.other_of,
        "other_of_label": labels.get(question.other_of, question.other_of),
        "advanced": advanced,
        "is_select": question.kind in SELECT_KINDS,
        "choices": [
            {
                "index": j,
                "name": c.name,
                "label": _shown(c.labels),
                "keep": _json(dataclasses.asdict(c)),
            }
            for j, c in enumerate(question.choices)
        ],
        "keep": _json({k: v for k, v in dataclasses.asdict(question).items() if k != "choices"}),
    }


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _title(group: Group) -> str:
    """A section's title in the page's language (Chinese when it has no English one)."""
    shown = _shown(group.labels)
    english = (get_language() or "zh").startswith("en")
    return (shown["en"] if english else "") or shown["zh"] or shown["en"] or group.name


def _sections(form: Form) -> tuple[list[dict[str, Any]], int]:
    """The questions in runs of the same section, each run opening the sections (groups)
    that start there; and how many groups there are (the fields' numbering)."""
    groups = {g.name: (k, g) for k, g in enumerate(form.groups)}
    labels = {q.name: question_label(q.labels, q.name) for q in form.questions}
    opened: set[str] = set()
    runs: list[dict[str, Any]] = []
    for index, question in enumerate(form.questions):
        if not runs or runs[-1]["path"] != question.group:
            fresh = []
            for name in question.group:
                if name in groups and name not in opened:
                    k, group = groups[name]
                    opened.add(name)
                    fresh.append(
                        {
                            "index": k,
                            "name": name,
                            "label": _shown(group.labels),
                            "relevant": group.relevant,
                            "keep": _json(dataclasses.asdict(group)),
                        }
                    )
            titles = [_title(groups[n][1]) if n in groups else n for n in question.group]
            runs.append(
                {"path": question.group, "titles": titles, "groups": fresh, "questions": []}
            )
        runs[-1]["questions"].append(_question_row(index, question, labels))
    for run in runs:
        run["last"] = run["questions"][-1]["index"]
    return runs, len(form.groups)


# -- what the buttons do to the draft -------------------------------------------------------
class Refused(Exception):
    """A change to the draft that cannot be made; the message says why."""


def _unique(taken: set[str], stem: str) -> str:
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


def _blank_question(form: Form, group: tuple[str, ...]) -> Question:
    taken = {q.name for q in form.questions} | {g.name for g in form.groups}
    name = _unique(taken, "q")
    return Question(
        name=name,
        kind="text",
        labels={},
        hints={},
        rule=Rule(name=name),
        constraint_messages={},
        group=group,
    )


def apply(form: Form, operation: Operation) -> tuple[Form, str]:
    """The draft after one button (`up:3`, `down:3`, `remove:3`, `add:3` (after question
    3, in its section), `add_end`, `add_section`, `add_choice:3`, `remove_choice:3:1`, as
    (verb, numbers) from `QuestionnaireDraftForm`), and the anchor to show. Moving a
    question past the edge of its section takes it into the neighbouring section, so
    sections stay in one piece."""
    verb, numbers = operation
    questions = list(form.questions)
    needs_question = verb in ("up", "down", "remove", "add", "add_choice", "remove_choice")
    if needs_question and not (numbers and 0 <= numbers[0] < len(questions)):
        return form, ""
    if verb in ("up", "down"):
        i = numbers[0]
        j = i - 1 if verb == "up" else i + 1
        if not 0 <= j < len(questions):
            return form, f"q{i}"
        if questions[j].group == questions[i].group:
            questions[i], questions[j] = questions[j], questions[i]
            return dataclasses.replace(form, questions=questions), f"q{j}"
        questions[i] = dataclasses.replace(questions[i], group=questions[j].group)
        return dataclasses.replace(form, questions=questions), f"q{i}"
    if verb == "remove":
        question = questions[numbers[0]]
        found = referrers(form, question.name)
        if found:
            names = shown_names(form)
            raise Refused(
                _("%(name)s cannot be removed: %(where)s refers to it.")
                % {"name": names.get(question.name, question.name), "where": _where(form, found)}
            )
        del questions[numbers[0]]
        return dataclasses.replace(form, questions=questions), f"q{max(numbers[0] - 1, 0)}"
    if verb == "add":
        i = numbers[0]
        questions.insert(i + 1, _blank_question(form, questions[i].group))
        return dataclasses.replace(form, questions=questions), f"q{i + 1}"
    if verb == "add_end":
        questions.append(_blank_question(form, ()))
        return dataclasses.replace(form, questions=questions), f"q{len(questions) - 1}"
    if verb == "add_section":
        taken = {q.name for q in questions} | {g.name for g in form.groups}
        group = Group(name=_unique(taken, "section"), labels={}, relevant="", appearance="")
        form = dataclasses.replace(form, groups=[*form.groups, group])
        questions.append(_blank_question(form, (group.name,)))
        return dataclasses.replace(form, questions=questions), f"q{len(questions) - 1}"
    if verb == "add_choice":
        i = numbers[0]
        question = questions[i]
        codes = {c.name for c in question.choices}
        numeric = [int(c) for c in codes if c.isdigit()]
        code = str(max(numeric, default=len(codes)) + 1)
        while code in codes:
            code = str(int(code) + 1)
        questions[i] = dataclasses.replace(
            question, choices=(*question.choices, Choice(name=code, labels={}))
        )
        return dataclasses.replace(form, questions=questions), f"q{i}"
    if verb == "remove_choice" and len(numbers) == 2:
        i, j = numbers
        question = questions[i]
        questions[i] = dataclasses.replace(
            question, choices=tuple(c for n, c in enumerate(question.choices) if n != j)
        )
        return dataclasses.replace(form, questions=questions), f"q{i}"
    return form, ""


def _where(form: Form, found: list[tuple[str, str]]) -> str:
    groups = {g.name for g in form.groups}
    names = shown_names(form)
    parts = [
        (_("section %(name)s (%(column)s)") if element in groups else _("%(name)s (%(column)s)"))
        % {"name": names.get(element, element), "column": COLUMN_NAMES.get(column, column)}
        for element, column in found
    ]
    return _(", ").join(parts)


# -- questions named as the manager wrote them ------------------------------------------------
SHOWN_LABEL_CHARS = 30


def shown_names(form: Form) -> dict[str, str]:
    """How the editor names each question and section in its messages: by its text in the
    page's language, quoted, with the code (the XLSForm name) beside it only when another
    question or section has the same text. One without any text keeps its code."""
    texts: dict[str, str] = {}
    for question in form.questions:
        if any(v.strip() for v in question.labels.values()):
            texts[question.name] = question_label(question.labels, question.name)
    for group in form.groups:
        if any(v.strip() for v in group.labels.values()):
            texts.setdefault(group.name, _title(group))
    texts = {name: _short(text) for name, text in texts.items()}
    seen = Counter(texts.values())
    return {
        name: (
            _("“%(label)s” (%(code)s)") % {"label": text, "code": name}
            if seen[text] > 1
            else _("“%(label)s”") % {"label": text}
        )
        for name, text in texts.items()
    }


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_LABEL_CHARS else text[: SHOWN_LABEL_CHARS - 1] + "…"


# Where the form checks name an element (`manyi.analytics.formcheck`, `xlsform`): "题目 sat 的",
# "题组 extra 的" in Chinese; "sat: ...", "sat, constraint: ...", "question sat, ...",
# "group extra, ..." and "the “other” text of items, ..." in English.
_NAMED_ZH = (re.compile(r"(?P<before>题目|题组) (?P<name>[^\s，：、“”]+)(?: |$)"),)
_NAMED_EN = (
    re.compile(r"^(?P<before>)(?P<name>[^\s,:]+)(?=[,:] )"),
    re.compile(r"(?P<before>\b(?:question|group|text of) )(?P<name>[^\s,:]+)(?=[,:] )"),
)


def by_label(message: str, form: Form) -> str:
    """A check's message with the questions and sections it names by code named as in
    `shown_names` (a code the draft does not know, or one without text, stays)."""
    names = shown_names(form)

    def swap(match: re.Match[str]) -> str:
        shown = names.get(match.group("name"))
        if shown is None:
            return match.group(0)
        return match.group("before") + shown

    chinese = (get_language() or "zh").lower().startswith("zh")
    for pattern in _NAMED_ZH if chinese else _NAMED_EN:
        message = pattern.sub(swap, message)
    return message


# -- the pages ----------------------------------------------------------------------------
def _base(questionnaire: Questionnaire) -> tuple[QuestionnaireVersion | None, Form]:
    version = questionnaire.current_version()
    if version is not None:
        return version, form_from_dict(version.definition)
    empty = Form(
        title=questionnaire.title,
        form_id=questionnaire.code,
        version="",
        languages=["zh"],
        default_language="zh",
        questions=[],
        groups=[],
        unsupported=[],
    )
    return None, empty


@login_required
@never_cache
def edit(request: HttpRequest, code: str) -> HttpResponse:
    """The editor; every button posts the whole draft back here."""
    require_permission(request.user, "surveys.design")
    questionnaire = get_object_or_404(Questionnaire, code=code)
    current, base = _base(questionnaire)
    current_digest = digest(current.definition) if current else ""
    if request.method != "POST":
        return _page(request, questionnaire, current, base, base_digest=current_digest)
    form = QuestionnaireDraftForm(request.POST, base_form=base)
    if not form.is_valid():  # the page sent a draft we cannot read: show the stored one
        return _page(
            request,
            questionnaire,
            current,
            base,
            base_digest=current_digest,
            error=" ".join(form.non_field_errors()),
            note=form.cleaned_data.get("note", ""),
        )
    data = form.cleaned_data
    draft, operation, posted_digest, note = data["draft"], data["op"], data["base"], data["note"]
    if operation[0] == "preview":
        return _preview(request, questionnaire, current, draft, posted_digest, note)
    if operation[0] != "save":
        try:
            draft, anchor = apply(draft, operation)
        except Refused as exc:
            return _page(
                request,
                questionnaire,
                current,
                draft,
                base_digest=posted_digest,
                error=str(exc),
                note=note,
            )
        return _page(
            request,
            questionnaire,
            current,
            draft,
            base_digest=posted_digest,
            anchor=anchor,
            note=note,
        )
    before = current.number if current else 0
    try:
        version = actions.edit_questionnaire(
            request.user,
            questionnaire,
            form_to_dict(draft),
            note=note,
            base=posted_digest if current is not None else None,
        )
    except actions.QuestionnaireChanged as changed:
        # Someone saved while this page was open: say so once, then let a second save win.
        current, _base_form = _base(questionnaire)
        return _page(
            request,
            questionnaire,
            current,
            draft,
            base_digest=digest(current.definition) if current else "",
            error=" ".join(changed.messages),
            note=note,
        )
    except ValidationError as exc:
        return _page(
            request,
            questionnaire,
            current,
            draft,
            base_digest=posted_digest,
            error=by_label(" ".join(exc.messages), draft),
            note=note,
        )
    if version.number != before:
        if before:
            text = _("Saved as version %(n)d; earlier answers keep version %(old)d.") % {
                "n": version.number,
                "old": before,
            }
        else:
            text = _("Saved as version %(n)d.") % {"n": version.number}
    elif current is not None and digest(version.definition) == current_digest:
        text = _("Nothing was changed, so nothing was saved.")
    else:
        text = _("Version %(n)d updated (it had no answers yet).") % {"n": version.number}
    messages.success(request, text)
    return redirect("surveys:questionnaire", code=questionnaire.code)


def _page(
    request: HttpRequest,
    questionnaire: Questionnaire,
    current: QuestionnaireVersion | None,
    draft: Form,
    *,
    base_digest: str,
    error: str = "",
    anchor: str = "",
    note: str = "",
) -> HttpResponse:
    """The editor showing `draft` (`error`: why the last button or save was refused;
    `note`: the trail's note as typed)."""
    runs, group_count = _sections(draft)
    answers = current.responses.count() if current is not None else 0
    if current is None:
        notice = _("Saving makes version 1.")
    elif answers:
        notice = ngettext(
            "This questionnaire has %(n)d answer on version %(k)d: saving makes version "
            "%(next)d; earlier answers keep version %(k)d.",
            "This questionnaire has %(n)d answers on version %(k)d: saving makes version "
            "%(next)d; earlier answers keep version %(k)d.",
            answers,
        ) % {"n": answers, "k": current.number, "next": current.number + 1}
    else:
        notice = _("Version %(k)d has no answers yet: saving changes version %(k)d in place.") % {
            "k": current.number
        }
    return render(
        request,
        "surveys/edit.html",
        {
            "questionnaire": questionnaire,
            "current": current,
            "draft": draft,
            "runs": runs,
            "question_count": len(draft.questions),
            "group_count": group_count,
            "kinds": KINDS,
            "select_kinds": sorted(SELECT_KINDS),
            "base": base_digest,
            "notice": notice,
            "next_version": (current.number + 1) if current and answers else None,
            "error": error,
            "anchor": anchor,
            "unsaved": request.method == "POST",
            "note": note,
        },
    )


# -- preview and download -------------------------------------------------------------------
def _preview(
    request: HttpRequest,
    questionnaire: Questionnaire,
    current: QuestionnaireVersion | None,
    draft: Form,
    posted_digest: str,
    note: str,
) -> HttpResponse:
    """The draft on the respondent's page (in a new tab); answers are checked, not kept."""
    form = normalise(draft)
    try:
        check_form(form)
    except XLSFormError as exc:
        chinese = (get_language() or "zh-hans").lower().startswith("zh")
        error = by_label(exc.zh if chinese else str(exc), draft)
        return _page(
            request,
            questionnaire,
            current,
            draft,
            base_digest=posted_digest,
            error=error,
            note=note,
        )
    definition = form_to_dict(form)
    request.session[PREVIEW_KEY % questionnaire.code] = definition
    wanted = "zh" if (get_language() or "zh").startswith("zh") else "en"
    language = wanted if wanted in form.languages else form.default_language
    survey = {
        "token": f"preview-{questionnaire.code}",
        "language": language,
        "today": timezone.localdate().isoformat(),
        "definition": definition,
        "draft": {},
        "personal": False,
        "csrf": get_token(request),
        "urls": {"submit": reverse("surveys:edit_preview_check", args=[questionnaire.code])},
    }
    return render(
        request,
        "surveys/answer.html",
        {
            "title": _("[Preview] %(title)s") % {"title": form.title},
            "survey": survey,
            "texts": respondent_texts(),
            "language_code": "zh-Hans" if language == "zh" else language,
        },
    )


@login_required
@require_POST
def preview_check(request: HttpRequest, code: str) -> JsonResponse:
    """The server's verdict on answers given in the preview, as a real submission would
    get it; nothing is stored."""
    require_permission(request.user, "surveys.design")
    definition = request.session.get(PREVIEW_KEY % code)
    if definition is None:
        return JsonResponse({"code": "not_found", "message": _("Not found.")}, status=404)
    form = form_from_dict(definition)
    posted = PreviewAnswersForm.from_body(request.body)
    try:
        if not posted.is_valid():
            raise ValueError
        state = run_form(form.rules, posted.cleaned_data["answers"], today=timezone.localdate())
    except (ValueError, KeyError, TypeError, AttributeError, ExpressionError):
        return JsonResponse({"code": "invalid", "message": _("Not JSON.")}, status=400)
    if state.problems:
        texts = respondent_texts()
        language = posted.cleaned_data["language"]
        by_name = {q.name: q for q in form.questions}
        problems = [
            {
                "question": p.name,
                "code": p.code,
                "message": (
                    by_name[p.name].constraint_messages.get(language) or p.message
                    if p.code == "constraint"
                    else ""
                )
                or texts[p.code],
            }
            for p in state.problems
        ]
        return JsonResponse(
            {"code": "invalid_answers", "message": texts["fix"], "problems": problems},
            status=422,
        )
    return JsonResponse(
        {"preview": True, "message": _("Preview: the answers are accepted but not stored.")}
    )


@login_required
def download_xlsform(request: HttpRequest, code: str) -> HttpResponse:
    """The current version (or `?version=N`) as an XLSForm workbook, for analysts to edit
    in Excel or field in ODK and upload again."""
    require_permission(request.user, "surveys.design")
    questionnaire = get_object_or_404(Questionnaire, code=code)
    versions = questionnaire.versions.order_by("-number")
    wanted = request.GET.get("version", "")
    if wanted.isdigit():
        versions = versions.filter(number=int(wanted))
    version = versions.first()
    if version is None:
        return HttpResponse(status=404)
    with tempfile.TemporaryDirectory() as folder:
        path = write_xlsform(form_from_dict(version.definition), Path(folder) / "form.xlsx")
        content = path.read_bytes()
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"{questionnaire.code}-v{version.number}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
