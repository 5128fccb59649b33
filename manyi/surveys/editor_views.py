"""Editing a questionnaire on a page, for the customer-service manager who owns it.

The page is plain server-rendered forms: the whole draft travels in every post, and the
buttons that move, add or remove a question or an option change the draft on the server
and show it again (nothing is stored until "Save"), so the rules about what may be
removed live in one place. Saving goes through `actions.edit_questionnaire`, which checks
the form and decides between a new version and an in-place change. The draft can be
previewed on the respondent's page, and the current version downloaded as an XLSForm.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
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

from . import actions
from .manage_views import question_label
from .models import Questionnaire, QuestionnaireVersion
from .views import respondent_texts

LANGUAGES = ("zh", "en")
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
SCALE = ("start", "end", "step")
PREVIEW_KEY = "surveys.preview.%s"


# -- the draft: a Form read from the page's fields, and shown in them -----------------------
digest = actions.definition_digest


def _shown(texts: dict[str, str]) -> dict[str, str]:
    """What the Chinese and English fields show; a text without a language (a plain
    `label` column) is shown, and saved, as the Chinese one."""
    return {
        "zh": texts.get("zh", texts.get("default", "")),
        "en": texts.get("en", ""),
    }


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
        raise Refused(
            _("The page sent an incomplete questionnaire; open the editor again.")
        ) from None


def _count(post: QueryDict, name: str) -> int:
    try:
        return max(0, min(int(post.get(name) or 0), 2000))
    except ValueError:
        return 0


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


def apply(form: Form, operation: str) -> tuple[Form, str]:
    """The draft after one button (`up:3`, `down:3`, `remove:3`, `add:3` (after question
    3, in its section), `add_end`, `add_section`, `add_choice:3`, `remove_choice:3:1`),
    and the anchor to show. Moving a question past the edge of its section takes it into
    the neighbouring section, so sections stay in one piece."""
    verb, _sep, rest = operation.partition(":")
    numbers = [int(n) for n in rest.split(":") if n.lstrip("-").isdigit()]
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
            raise Refused(
                _("%(name)s cannot be removed: %(where)s refers to it.")
                % {"name": question.name, "where": _where(form, found)}
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
    parts = [
        (_("section %(name)s (%(column)s)") if element in groups else _("%(name)s (%(column)s)"))
        % {"name": element, "column": COLUMN_NAMES.get(column, column)}
        for element, column in found
    ]
    return _(", ").join(parts)


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
    try:
        draft = draft_from_post(request.POST, base)
    except Refused as exc:
        return _page(
            request, questionnaire, current, base, base_digest=current_digest, error=str(exc)
        )
    operation = request.POST.get("op", "save")
    posted_digest = request.POST.get("base", "")
    if operation == "preview":
        return _preview(request, questionnaire, current, draft, posted_digest)
    if operation != "save":
        try:
            draft, anchor = apply(draft, operation)
        except Refused as exc:
            return _page(
                request, questionnaire, current, draft, base_digest=posted_digest, error=str(exc)
            )
        return _page(
            request, questionnaire, current, draft, base_digest=posted_digest, anchor=anchor
        )
    before = current.number if current else 0
    try:
        version = actions.edit_questionnaire(
            request.user,
            questionnaire,
            form_to_dict(draft),
            note=request.POST.get("note", "")[:300],
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
        )
    except ValidationError as exc:
        return _page(
            request,
            questionnaire,
            current,
            draft,
            base_digest=posted_digest,
            error=" ".join(exc.messages),
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
) -> HttpResponse:
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
            "note": request.POST.get("note", "") if request.method == "POST" else "",
        },
    )


# -- preview and download -------------------------------------------------------------------
def _preview(
    request: HttpRequest,
    questionnaire: Questionnaire,
    current: QuestionnaireVersion | None,
    draft: Form,
    posted_digest: str,
) -> HttpResponse:
    """The draft on the respondent's page (in a new tab); answers are checked, not kept."""
    form = normalise(draft)
    try:
        check_form(form)
    except XLSFormError as exc:
        chinese = (get_language() or "zh-hans").lower().startswith("zh")
        error = exc.zh if chinese else str(exc)
        return _page(request, questionnaire, current, draft, base_digest=posted_digest, error=error)
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
    try:
        body = json.loads(request.body or b"{}")
        answers = {str(k): "" if v is None else str(v) for k, v in body["answers"].items()}
        state = run_form(form.rules, answers, today=timezone.localdate())
    except (ValueError, KeyError, TypeError, AttributeError, ExpressionError):
        return JsonResponse({"code": "invalid", "message": _("Not JSON.")}, status=400)
    if state.problems:
        texts = respondent_texts()
        language = "zh" if str(body.get("language") or "zh").startswith("zh") else "en"
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
