"""Reading an XLSForm workbook (the survey / choices / settings sheets that ODK and
KoboToolbox use) into our questionnaire description.

The maintained `pyxform` library reads and validates the workbook (column aliases, choice
lists, `or_other`, translations, unknown ${} references); this module maps its result onto
what our surveys support and lists everything else, so nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .formlogic import ExpressionError, Rule, parse

# pyxform's type names -> ours
KINDS = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "rank": "rank",
    "range": "range",
    "calculate": "calculate",
    "hidden": "hidden",
    "note": "note",
}
_LANGUAGE = re.compile(r"\((?P<code>[A-Za-z-]+)\)\s*$")
_RELATIVE = re.compile(r"(?:\.\./)+(?P<name>[A-Za-z_][\w.-]*)")
_ABSOLUTE = re.compile(r"/data(?:/[A-Za-z_][\w.-]*)*/(?P<name>[A-Za-z_][\w.-]*)")
KNOWN_BIND = {"relevant", "constraint", "required", "calculate", "jr:constraintMsg", "readonly"}
KNOWN_CONTROL = {"appearance", "start", "end", "step", "bodyless"}
CHOICE_KINDS = {"select_one", "select_multiple", "rank"}
# What pyxform adds to a table-list group (which it turns into a field-list): a note with
# the group's label and hint, and a header row showing the choices. We keep the group's
# own appearance instead, and draw the header ourselves.
_TABLE_LIST_NOTE = "generated_table_list_label_"
_TABLE_LIST_HEADER = "reserved_name_for_field_list_labels_"
_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*")


class XLSFormError(ValueError):
    """The workbook cannot be read; `zh` is the message in Chinese."""

    def __init__(self, message: str, *, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message


@dataclass(frozen=True)
class Choice:
    name: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Question:
    name: str
    kind: str
    labels: dict[str, str]
    hints: dict[str, str]
    rule: Rule
    constraint_messages: dict[str, str]
    choices: tuple[Choice, ...] = ()
    group: tuple[str, ...] = ()
    appearance: str = ""
    parameters: dict[str, str] = field(default_factory=dict)
    default: str = ""
    other_of: str = ""  # the "please specify" text of a choice question's "other"
    # For the satisfaction index: a negatively worded rating (`instance::reverse` = yes) and
    # the codes that mean "don't know" (`instance::dont_know`, space-separated).
    reverse: bool = False
    dont_know: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    """A section. `appearance` "table-list" (or a "field-list" of same-list select_one
    questions) is shown as one grid: a row per question, a column per choice."""

    name: str
    labels: dict[str, str]
    relevant: str
    appearance: str
    hints: dict[str, str] = field(default_factory=dict)


@dataclass
class Form:
    title: str
    form_id: str
    version: str
    languages: list[str]
    default_language: str
    questions: list[Question]
    groups: list[Group]
    unsupported: list[str]

    @property
    def rules(self) -> list[Rule]:
        return [q.rule for q in self.questions]


def language_code(name: str) -> str:
    """'Chinese (zh)' -> 'zh', 'English (en)' -> 'en', 'default' stays 'default'."""
    match = _LANGUAGE.search(name)
    return match["code"].lower() if match else name.strip().lower()


def _labels(value: Any) -> dict[str, str]:
    if value is None or value == "":
        return {}
    if isinstance(value, dict):
        return {language_code(k): str(v) for k, v in value.items() if v not in (None, "")}
    return {"default": str(value)}


def _other_label(name: str, labels: dict[str, str]) -> dict[str, str]:
    """pyxform labels the choice `or_other` adds "Other" in every language."""
    if name == "other" and labels.get("zh") == "Other":
        return {**labels, "zh": "其他"}
    return labels


def _expression(text: str | None) -> str:
    """pyxform writes some references as paths (../items, /data/group/q): ours are ${q}."""
    if not text:
        return ""
    text = _ABSOLUTE.sub(lambda m: "${" + m["name"] + "}", str(text))
    return _RELATIVE.sub(lambda m: "${" + m["name"] + "}", text)


def _parameters_text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return str(value or "").strip()


def _table_list_parts(children: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The elements pyxform generated for a table-list group, if it was one."""
    return [
        c
        for c in children
        if (c.get("type") == "note" and str(c.get("name", "")).startswith(_TABLE_LIST_NOTE))
        or str(c.get("name", "")).startswith(_TABLE_LIST_HEADER)
    ]


def _table_list(appearance: str) -> str:
    """pyxform writes "table-list x" as "field-list x": give the grid its name back."""
    words = appearance.split()
    if "field-list" in words:
        words[words.index("field-list")] = "table-list"
    return " ".join(words) or "table-list"


def read_xlsform(path: str | Path) -> Form:
    """Read and check a workbook (.xlsx, .xls or .csv in XLSForm layout)."""
    from pyxform.builder import create_survey_element_from_dict
    from pyxform.errors import PyXFormError
    from pyxform.xls2json import parse_file_to_json

    try:
        data = parse_file_to_json(str(path))
        # pyxform's own checks; not ODK Validate, which needs Java and takes seconds
        create_survey_element_from_dict(data).to_xml(validate=False)
    except PyXFormError as exc:
        raise XLSFormError(
            f"the XLSForm is not valid: {exc}",
            zh=f"XLSForm 文件有误：{pyxform_in_chinese(str(exc))}",
        ) from None
    except Exception as exc:  # a broken or foreign file
        raise XLSFormError(
            f"the file cannot be read as an XLSForm: {exc}",
            zh=f"无法作为 XLSForm 读取该文件：{exc}",
        ) from None
    return _form(data)


# pyxform speaks English only: its messages a questionnaire author meets most, in Chinese.
# A message not listed keeps pyxform's English after the Chinese row number.
_PYXFORM_ZH: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Unknown question type '(?P<v>[^']*)'\.?"), "未知的题型“{v}”。"),
    (
        re.compile(
            r"On the '(?P<sheet>\w+)' sheet, the 'name' value '(?P<v>[^']*)' is invalid\. "
            r"Questions, groups, and repeats must be unique.*"
        ),
        "{sheet} 表中的名称“{v}”重复：同一题组内的题目、题组的名称必须唯一。",
    ),
    (re.compile(r"Question or group with no name\.?"), "题目或题组缺少名称（name）。"),
    (
        re.compile(
            r"On the '(?P<sheet>\w+)' sheet, the 'name' value is invalid\. Names must "
            r"begin with a letter or underscore.*"
        ),
        "{sheet} 表中的名称无效：名称须以字母或下划线开头，"
        "其后只能是字母、数字、下划线、连字符或句点。",
    ),
    (
        re.compile(
            r"On the '(?P<sheet>\w+)' sheet, the '(?P<col>\w+)' value is invalid\. "
            r"Reference variables must contain a name from the '\w+' sheet\. Could not "
            r"find the name '(?P<v>[^']*)'\.?"
        ),
        "{sheet} 表的 {col} 列有误：引用的 ${{{v}}} 不是本问卷中的题目。",
    ),
    (
        re.compile(
            r"Unmatched '(?P<a>\w+)'\. No matching '(?P<b>\w+)' was found for the name "
            r"'(?P<v>[^']*)'\.?"
        ),
        "“{a}”没有配对的“{b}”（名称 {v}）。",
    ),
    (re.compile(r"List name not in choices sheet: (?P<v>.+)"), "choices 表中没有选项列表“{v}”。"),
    (
        re.compile(r"The survey element named '(?P<v>[^']*)' has no label or hint\.?"),
        "题目“{v}”没有题目文字（label）或提示（hint）。",
    ),
]
_ROW = re.compile(r"^\[row : (?P<row>\d+)\]\s*")


def pyxform_in_chinese(message: str) -> str:
    """pyxform's message in Chinese where it is one we know; its row number always."""
    row = _ROW.match(message)
    prefix = f"第 {row.group('row')} 行：" if row else ""
    rest = message[row.end() :] if row else message
    for pattern, chinese in _PYXFORM_ZH:
        found = pattern.fullmatch(rest.strip())
        if found:
            return prefix + chinese.format(**found.groupdict())
    return prefix + rest


def _form(data: dict[str, Any]) -> Form:
    shared_choices: dict[str, list[dict[str, Any]]] = data.get("choices") or {}
    questions: list[Question] = []
    groups: list[Group] = []
    unsupported: list[str] = []
    languages: list[str] = []

    def note_languages(labels: dict[str, str]) -> None:
        for code in labels:
            if code != "default" and code not in languages:
                languages.append(code)

    def walk(children: Iterable[dict[str, Any]], path: tuple[str, ...], relevant: tuple[str, ...]):
        for child in children:
            kind, name = child.get("type", ""), child.get("name", "")
            bind = child.get("bind") or {}
            control = child.get("control") or {}
            if kind == "group" and name == "meta":
                continue  # instanceID and other metadata ODK adds itself
            if kind == "group":
                children = list(child.get("children", []))
                labels, hints = _labels(child.get("label")), _labels(child.get("hint"))
                appearance = str(control.get("appearance", ""))
                generated = _table_list_parts(children)
                if generated:
                    appearance = _table_list(appearance)
                    for note in generated:
                        if note.get("type") == "note":
                            labels = labels or _labels(note.get("label"))
                            hints = hints or _labels(note.get("hint"))
                    children = [c for c in children if c not in generated]
                if _parameters_text(child.get("parameters")):
                    # pyxform passes a group's parameters through without doing anything
                    # with them (ODK randomises no groups): neither do we, and say so
                    unsupported.append(
                        f"{name}: parameters “{_parameters_text(child.get('parameters'))}” "
                        "on a group"
                    )
                note_languages(labels)
                group_relevant = _expression(bind.get("relevant"))
                groups.append(Group(name, labels, group_relevant, appearance, hints))
                walk(
                    children,
                    (*path, name),
                    (*relevant, group_relevant) if group_relevant else relevant,
                )
                continue
            if kind not in KINDS:
                unsupported.append(f"{name}: question type “{kind}”")
                continue
            extra_bind = sorted(set(bind) - KNOWN_BIND)
            extra_control = sorted(set(control) - KNOWN_CONTROL)
            for key in (*extra_bind, *extra_control):
                unsupported.append(f"{name}: column “{key}”")
            if child.get("choice_filter"):
                unsupported.append(f"{name}: column “choice_filter”")
            labels = _labels(child.get("label"))
            note_languages(labels)
            # pyxform leaves the choices off a question whose order is randomised (ODK draws
            # them from the list then): take them from the form's lists
            listed = child.get("choices") or shared_choices.get(str(child.get("itemset", "")))
            if KINDS[kind] in CHOICE_KINDS and not listed:
                where = child.get("itemset") or child.get("list_name") or ""
                unsupported.append(f"{name}: choices from “{where}”")
                continue
            choices = tuple(
                Choice(str(c["name"]), _other_label(str(c["name"]), _labels(c.get("label"))))
                for c in listed or []
            )
            parameters = {k: str(v) for k, v in (child.get("parameters") or {}).items()}
            seed = parameters.get("seed", "")
            if parameters.get("randomize") == "true" and seed and not _NUMBER.fullmatch(seed):
                unsupported.append(
                    f"{name}: seed “{seed}” (the order follows each respondent's link instead)"
                )
            required = bind.get("required", "")
            rule = Rule(
                name=name,
                kind=KINDS[kind],
                required="yes" if required is True else _expression(str(required or "")),
                relevant=_expression(bind.get("relevant")),
                constraint=_expression(bind.get("constraint")),
                constraint_message=next(iter(_labels(bind.get("jr:constraintMsg")).values()), ""),
                calculation=_expression(bind.get("calculate")),
                choices=tuple(c.name for c in choices) if choices else None,
                groups_relevant=relevant,
            )
            other_of = ""
            if (
                name.endswith("_other")
                and questions
                and questions[-1].name == name[: -len("_other")]
            ):
                other_of = questions[-1].name
                labels = (
                    labels
                    if labels and "default" not in labels
                    else {"zh": "请注明其他", "en": "Please specify"}
                )
            instance = child.get("instance") or {}
            questions.append(
                Question(
                    name=name,
                    kind=KINDS[kind],
                    labels=labels,
                    hints=_labels(child.get("hint")),
                    rule=rule,
                    constraint_messages=_labels(bind.get("jr:constraintMsg")),
                    choices=choices,
                    group=path,
                    appearance=str(control.get("appearance", "")),
                    parameters=parameters,
                    default=str(child.get("default", "") or ""),
                    other_of=other_of,
                    reverse=_yes(instance.get("reverse")),
                    dont_know=tuple(str(instance.get("dont_know") or "").split()),
                )
            )

    walk(data.get("children", []), (), ())
    _check_expressions(questions, groups)
    default = language_code(str(data.get("default_language") or "default"))
    return Form(
        title=str(data.get("title") or data.get("id_string") or ""),
        form_id=str(data.get("id_string") or ""),
        version=str(data.get("version") or ""),
        languages=languages or ["default"],
        default_language=default if default in languages else (languages or ["default"])[0],
        questions=questions,
        groups=groups,
        unsupported=unsupported,
    )


def _yes(value: Any) -> bool:
    return str(value or "").strip().lower() in {"yes", "true", "1", "是", "y"}


def _check_expressions(questions: list[Question], groups: list[Group]) -> None:
    """Every expression must be one our evaluator runs: refuse the form otherwise, naming
    the question, rather than fail on a respondent."""
    for question in questions:
        rule = question.rule
        for column, expression in (
            ("relevant", rule.relevant),
            ("constraint", rule.constraint),
            ("calculation", rule.calculation),
            ("required", rule.required if rule.required not in ("yes", "") else ""),
        ):
            if not expression:
                continue
            try:
                parse(expression)
            except ExpressionError as exc:
                raise XLSFormError(
                    f"{question.name}, {column}: {exc}",
                    zh=f"题目 {question.name} 的 {column}：{exc.zh}",
                ) from None
    for group in groups:
        if group.relevant:
            try:
                parse(group.relevant)
            except ExpressionError as exc:
                raise XLSFormError(
                    f"group {group.name}, relevant: {exc}",
                    zh=f"题组 {group.name} 的 relevant：{exc.zh}",
                ) from None


# -- writing ---------------------------------------------------------------------------------
_TYPE_NAMES = {v: k for k, v in KINDS.items()}
_LANGUAGE_NAMES = {"zh": "Chinese (zh)", "en": "English (en)"}


def write_xlsform(form: Form, path: str | Path) -> Path:
    """The questionnaire as an XLSForm workbook that ODK, KoboToolbox and our own import
    read back to the same form (a questionnaire edited here can be fielded there)."""
    from .spreadsheet import workbook

    languages = [code for code in form.languages if code != "default"] or ["default"]

    def columns(base: str) -> list[str]:
        if languages == ["default"]:
            return [base]
        return [f"{base}::{_LANGUAGE_NAMES.get(code, f'{code} ({code})')}" for code in languages]

    def texts(labels: dict[str, str]) -> list[str]:
        if languages == ["default"]:
            return [labels.get("default") or next(iter(labels.values()), "")]
        return [labels.get(code, labels.get("default", "")) for code in languages]

    book = workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(
        [
            "type",
            "name",
            *columns("label"),
            *columns("hint"),
            "required",
            "relevant",
            "constraint",
            *columns("constraint_message"),
            "calculation",
            "appearance",
            "parameters",
            "default",
            "instance::reverse",
            "instance::dont_know",
        ]
    )
    blank_texts = [""] * len(languages)
    choices_sheet = book.create_sheet("choices")
    choices_sheet.append(["list_name", "name", *columns("label")])
    groups = {group.name: group for group in form.groups}
    open_groups: list[str] = []
    others = {q.other_of for q in form.questions if q.other_of}
    # Questions with the same choices share one list (a table-list grid must: pyxform
    # refuses rows of different lists), named after the first; `or_other` on any of them
    # makes pyxform add "other" to the list for all, so it is written without it.
    lists: dict[tuple[Any, ...], tuple[str, bool]] = {}
    for question in form.questions:
        if question.choices:
            key = _choices_key(question.choices)
            list_name, with_other = lists.get(key, (question.name, False))
            lists[key] = (list_name, with_other or question.name in others)
    written: set[str] = set()
    for question in form.questions:
        while open_groups and tuple(open_groups) != question.group[: len(open_groups)]:
            survey.append(["end_group", "", *([""] * (survey.max_column - 2))])
            open_groups.pop()
        for name in question.group[len(open_groups) :]:
            group = groups[name]
            survey.append(
                [
                    "begin_group",
                    name,
                    *texts(group.labels),
                    *texts(group.hints),
                    "",
                    group.relevant,
                    "",
                    *blank_texts,
                    "",
                    group.appearance,
                    "",
                    "",
                    "",
                    "",
                ]
            )
            open_groups.append(name)
        if question.other_of:
            continue  # written back as `or_other` on its question
        rule = question.rule
        kind = _TYPE_NAMES[question.kind]
        if question.choices:
            list_name, with_other = lists[_choices_key(question.choices)]
            suffix = " or_other" if question.name in others else ""
            kind = f"{question.kind} {list_name}{suffix}"  # select_one, select_multiple, rank
            if list_name not in written:
                written.add(list_name)
                for choice in question.choices:
                    if with_other and choice.name == "other":
                        continue  # pyxform adds it back for `or_other`
                    choices_sheet.append([list_name, choice.name, *texts(choice.labels)])
        survey.append(
            [
                kind,
                question.name,
                *texts(question.labels),
                *texts(question.hints),
                rule.required,
                rule.relevant,
                rule.constraint,
                *texts(question.constraint_messages),
                rule.calculation,
                question.appearance,
                " ".join(f"{k}={v}" for k, v in question.parameters.items()),
                question.default,
                "yes" if question.reverse else "",
                " ".join(question.dont_know),
            ]
        )
    for _name in open_groups:
        survey.append(["end_group"])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    default = form.default_language
    settings.append([form.title, form.form_id, form.version, _LANGUAGE_NAMES.get(default, default)])
    book.save(path)
    return Path(path)


def _choices_key(choices: tuple[Choice, ...]) -> tuple[Any, ...]:
    return tuple((c.name, tuple(sorted(c.labels.items()))) for c in choices)


# -- storing -----------------------------------------------------------------------------
def form_to_dict(form: Form) -> dict[str, Any]:
    """Plain JSON data, for storing a questionnaire version."""
    return dataclasses.asdict(form)


def form_from_dict(data: dict[str, Any]) -> Form:
    def rule(r: dict[str, Any]) -> Rule:
        return Rule(
            **{
                **r,
                "choices": tuple(r["choices"]) if r.get("choices") is not None else None,
                "groups_relevant": tuple(r.get("groups_relevant") or ()),
            }
        )

    questions = [
        Question(
            **{
                **q,
                "rule": rule(q["rule"]),
                "choices": tuple(Choice(**c) for c in q.get("choices") or ()),
                "group": tuple(q.get("group") or ()),
                "dont_know": tuple(q.get("dont_know") or ()),
            }
        )
        for q in data["questions"]
    ]
    return Form(
        title=data["title"],
        form_id=data["form_id"],
        version=data["version"],
        languages=list(data["languages"]),
        default_language=data["default_language"],
        questions=questions,
        groups=[Group(**g) for g in data["groups"]],
        unsupported=list(data.get("unsupported") or []),
    )
