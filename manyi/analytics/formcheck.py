"""Checking a questionnaire edited in the product as strictly as an uploaded workbook is
checked, so an edit can never publish a form that fails on a respondent.

A workbook goes through pyxform, which refuses unknown ``${}`` references, duplicate names
and empty choice lists; a questionnaire edited on a page or through the API does not. This
module does those checks on our own `Form` (reusing xlsform's expression check and
formlogic's parser and calculation-cycle check), and keeps the parts of a `Form` that are
copies of one another (a question's kind and choices in its `Rule`, the relevance of its
groups, the languages) in step. No Django here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator

from .formlogic import ExpressionError, check_calculations, references
from .xlsform import KINDS, Form, Group, Question, XLSFormError, _check_expressions

SELECT_KINDS = frozenset({"select_one", "select_multiple", "rank"})
UNSHOWN_KINDS = frozenset({"calculate", "hidden"})  # no label: the respondent never sees them
MAX_RANGE_STEPS = 100
REQUIRED_YES = {"yes", "true", "true()", "1"}
REQUIRED_NO = {"no", "false", "false()", "0"}
# The expression columns, with their name on the editing page (the XLSForm column names
# are what _check_expressions reports, so ours read the same).
COLUMNS = ("relevant", "constraint", "calculation", "required")


def _problem(english: str, chinese: str) -> XLSFormError:
    return XLSFormError(english, zh=chinese)


def is_name(value: str) -> bool:
    """A name XLSForm, ODK and our ``${name}`` references all accept (an XML name without
    a namespace prefix)."""
    from pyxform.parsing.expression import is_xml_tag

    return bool(value) and ":" not in value and bool(is_xml_tag(value))


def expressions(form: Form) -> Iterator[tuple[str, str, str]]:
    """(element name, column, expression) of every expression in the form; a group's
    relevance is given under the group's name."""
    for question in form.questions:
        rule = question.rule
        for column in COLUMNS:
            text = getattr(rule, column)
            if column == "required" and text.strip().lower() in REQUIRED_YES | REQUIRED_NO:
                continue
            if text.strip():
                yield question.name, column, text
    for group in form.groups:
        if group.relevant.strip():
            yield group.name, "relevant", group.relevant


def referrers(form: Form, name: str) -> list[tuple[str, str]]:
    """(element, column) of the expressions that read question `name`, other than its own:
    a question someone refers to cannot be removed."""
    found = []
    for element, column, text in expressions(form):
        if element == name:
            continue
        try:
            if name in references(text):
                found.append((element, column))
        except ExpressionError:
            continue  # a broken expression is reported when the form is checked
    return found


def normalise(form: Form) -> Form:
    """The form with its copies in step: each rule's name, kind, choices, first constraint
    message and enclosing groups' relevance taken from its question; required written as
    "yes" or "" or an expression; choices only on choice questions; groups nobody is in
    dropped; the languages those of the texts."""
    used_groups = {name for question in form.questions for name in question.group}
    groups = [g for g in form.groups if g.name in used_groups]
    relevance = {g.name: g.relevant.strip() for g in groups}
    questions = []
    for question in form.questions:
        rule = question.rule
        required = rule.required.strip()
        if required.lower() in REQUIRED_YES:
            required = "yes"
        elif required.lower() in REQUIRED_NO:
            required = ""
        choices = question.choices if question.kind in SELECT_KINDS else ()
        messages = {k: v for k, v in question.constraint_messages.items() if v.strip()}
        questions.append(
            dataclasses.replace(
                question,
                choices=choices,
                constraint_messages=messages,
                rule=dataclasses.replace(
                    rule,
                    name=question.name,
                    kind=question.kind,
                    required=required,
                    relevant=rule.relevant.strip(),
                    constraint=rule.constraint.strip(),
                    calculation=rule.calculation.strip(),
                    constraint_message=next(iter(messages.values()), ""),
                    choices=tuple(c.name for c in choices) if choices else None,
                    groups_relevant=tuple(relevance[g] for g in question.group if relevance.get(g)),
                ),
            )
        )
    found: set[str] = set()
    for group in groups:
        found.update(group.labels)
        found.update(getattr(group, "hints", None) or {})
    for question in questions:
        for texts in (question.labels, question.hints, question.constraint_messages):
            found.update(texts)
        for choice in question.choices:
            found.update(choice.labels)
    found.discard("default")
    languages = [code for code in form.languages if code in found]
    languages += sorted(found - set(languages))
    languages = languages or ["default"]
    default = form.default_language if form.default_language in languages else languages[0]
    return dataclasses.replace(
        form, questions=questions, groups=groups, languages=languages, default_language=default
    )


def check_form(form: Form) -> None:
    """Refuse, naming the question, what would break the form for a respondent or make it
    unreadable to ODK: raises XLSFormError (English, and Chinese in `zh`)."""
    if not form.questions:
        raise _problem("a questionnaire needs at least one question", "问卷至少需要一道题目")
    groups = _check_groups(form.groups)
    names: set[str] = set()
    for question in form.questions:
        _check_question(question, names, groups)
        names.add(question.name)
    for question in form.questions:
        if question.other_of and question.other_of not in names:
            raise _problem(
                f"{question.name}: it is the “other” text of {question.other_of}, "
                "which is not in the questionnaire",
                f"题目 {question.name} 是题目 {question.other_of} 的“其他”说明，"
                f"但问卷中没有题目 {question.other_of}",
            )
    _check_expressions(form.questions, form.groups)  # every expression parses
    for element, column, text in expressions(form):
        unknown = sorted(references(text) - names)
        if unknown:
            what = "group" if element in groups else "question"
            refs = ", ".join(f"${{{n}}}" for n in unknown)
            raise _problem(
                f"{what} {element}, {column}: {refs} is not a question of this questionnaire",
                f"{'题组' if what == 'group' else '题目'} {element} 的 {column}：{refs} "
                "不是本问卷中的题目",
            )
    try:
        check_calculations(tuple(q.rule for q in form.questions))
    except ExpressionError as exc:
        raise _problem(str(exc), exc.zh) from None


def _check_groups(groups: list[Group]) -> dict[str, Group]:
    known: dict[str, Group] = {}
    for group in groups:
        if not is_name(group.name):
            raise _problem(
                f"the section name “{group.name}” is not valid: start with a letter, then "
                "letters, digits, _ . or -",
                f"题组名称“{group.name}”无效：须以字母开头，只含字母、数字、_、. 或 -",
            )
        if group.name in known:
            raise _problem(f"two sections are named {group.name}", f"有两个题组都叫 {group.name}")
        known[group.name] = group
    return known


def _check_question(question: Question, names: set[str], groups: dict[str, Group]) -> None:
    name = question.name
    if not is_name(name):
        raise _problem(
            f"the question name “{name}” is not valid: start with a letter, then letters, "
            "digits, _ . or -",
            f"题目名称“{name}”无效：须以字母开头，只含字母、数字、_、. 或 -",
        )
    if name in names:
        raise _problem(f"two questions are named {name}", f"有两道题目都叫 {name}")
    if name in groups:
        raise _problem(
            f"{name} names both a question and a section",
            f"{name} 既是题目名称又是题组名称",
        )
    if question.kind not in KINDS.values():
        raise _problem(
            f"{name}: the question type “{question.kind}” is not known",
            f"题目 {name} 的题型“{question.kind}”无法识别",
        )
    if question.kind not in UNSHOWN_KINDS and not any(v.strip() for v in question.labels.values()):
        raise _problem(f"{name}: the question has no text", f"题目 {name} 缺少题干")
    if question.kind == "calculate" and not question.rule.calculation.strip():
        raise _problem(
            f"{name}: a calculated field needs its calculation",
            f"题目 {name} 是计算字段，需要填写计算公式（calculation）",
        )
    for group in question.group:
        if group not in groups:
            raise _problem(
                f"{name}: the section {group} is not in the questionnaire",
                f"题目 {name} 所在的题组 {group} 不存在",
            )
    if question.kind in SELECT_KINDS:
        _check_choices(question)
    if question.kind == "range":
        _check_range(question)


def _check_choices(question: Question) -> None:
    name = question.name
    if not question.choices:
        raise _problem(
            f"{name}: a choice question needs at least one option",
            f"题目 {name} 是选择题，至少需要一个选项",
        )
    seen: set[str] = set()
    for choice in question.choices:
        code = choice.name
        if not code.strip() or any(c.isspace() for c in code):
            raise _problem(
                f"{name}: the option code “{code}” is empty or has spaces",
                f"题目 {name} 的选项代码“{code}”为空或含有空格",
            )
        if code in seen:
            raise _problem(
                f"{name}: two options have the code {code}",
                f"题目 {name} 有两个选项的代码都是 {code}",
            )
        seen.add(code)
        if not any(v.strip() for v in choice.labels.values()):
            raise _problem(
                f"{name}: the option {code} has no text",
                f"题目 {name} 的选项 {code} 缺少文字",
            )


def _check_range(question: Question) -> None:
    """A scale's start, end and step: the respondent's page lists every point."""
    name = question.name
    values = {"start": 0.0, "end": 10.0, "step": 1.0}
    for key in values:
        text = question.parameters.get(key, "")
        if text == "":
            continue
        try:
            values[key] = float(text)
        except ValueError:
            values[key] = math.nan
        if not math.isfinite(values[key]):
            raise _problem(
                f"{name}: the scale's {key} “{text}” is not a number",
                f"题目 {name} 的量表参数 {key}“{text}”不是数字",
            )
    start, end, step = values["start"], values["end"], values["step"]
    if step <= 0 or end < start or (end - start) / step > MAX_RANGE_STEPS:
        raise _problem(
            f"{name}: the scale must run from start up to end in steps above 0, "
            f"with at most {MAX_RANGE_STEPS} points",
            f"题目 {name} 的量表须从 start 到 end、步长大于 0，且不超过 {MAX_RANGE_STEPS} 个刻度",
        )
