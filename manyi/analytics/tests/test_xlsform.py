"""XLSForm import: pyxform reads the workbook, and the form then behaves as in ODK (the
rxeval engine, which follows ODK Collect, runs the same form as the reference)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import rxeval
from pyxform.builder import create_survey_element_from_dict
from pyxform.xls2json import parse_file_to_json

from manyi.analytics.formlogic import run_form
from manyi.analytics.xlsform import XLSFormError, read_xlsform

SURVEY = [
    [
        "type",
        "name",
        "label::Chinese (zh)",
        "label::English (en)",
        "required",
        "relevant",
        "constraint",
        "constraint_message::Chinese (zh)",
        "constraint_message::English (en)",
        "calculation",
        "appearance",
        "parameters",
    ],
    ["begin_group", "service", "服务评价", "Service", "", "", "", "", "", "", "", ""],
    [
        "select_one yn",
        "visited",
        "您去过网点吗？",
        "Did you visit?",
        "yes",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    [
        "integer",
        "sat",
        "满意度（1-5）",
        "Satisfaction (1-5)",
        "yes",
        "${visited} = 'yes'",
        ". >= 1 and . <= 5",
        "请填 1-5",
        "Enter 1-5",
        "",
        "",
        "",
    ],
    [
        "select_multiple items or_other",
        "items",
        "服务项目",
        "Services",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ],
    ["end_group", "", "", "", "", "", "", "", "", "", "", ""],
    ["calculate", "score", "", "", "", "", "", "", "", "${sat} * 20", "", ""],
    [
        "text",
        "comment",
        "意见",
        "Comments",
        "yes",
        "${score} <= 40",
        "string-length(.) >= 5",
        "至少写 5 个字",
        "At least 5 characters",
        "",
        "multiline",
        "",
    ],
    ["begin_group", "extra", "补充", "More", "", "${visited} = 'no'", "", "", "", "", "", ""],
    ["text", "why_not", "为什么没去？", "Why not?", "yes", "", "", "", "", "", "", ""],
    ["end_group", "", "", "", "", "", "", "", "", "", "", ""],
    [
        "range",
        "nps",
        "推荐可能性",
        "Recommend?",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "start=0 end=10 step=1",
    ],
    ["geopoint", "where", "位置", "Where", "", "", "", "", "", "", "", ""],
]
CHOICES = [
    ["list_name", "name", "label::Chinese (zh)", "label::English (en)"],
    ["yn", "yes", "是", "Yes"],
    ["yn", "no", "否", "No"],
    ["items", "repair", "维修", "Repair"],
    ["items", "delivery", "送货", "Delivery"],
]


def workbook(
    path: Path, survey: list[list[str]] = SURVEY, choices: list[list[str]] = CHOICES
) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    sheet = book.create_sheet("choices")
    for row in choices:
        sheet.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "default_language", "version"])
    settings.append(["售后满意度", "after_sales", "Chinese (zh)", "2026"])
    book.save(path)
    return path


def test_reads_questions_languages_logic_and_other(tmp_path: Path) -> None:
    form = read_xlsform(workbook(tmp_path / "form.xlsx"))
    assert (form.title, form.form_id, form.version) == ("售后满意度", "after_sales", "2026")
    assert form.languages == ["zh", "en"] and form.default_language == "zh"
    names = [q.name for q in form.questions]
    assert names == ["visited", "sat", "items", "items_other", "score", "comment", "why_not", "nps"]
    sat = form.questions[1]
    assert sat.labels == {"zh": "满意度（1-5）", "en": "Satisfaction (1-5)"}
    assert sat.rule.relevant == "${visited} = 'yes'" and sat.rule.required == "yes"
    assert sat.constraint_messages == {"zh": "请填 1-5", "en": "Enter 1-5"}
    assert sat.group == ("service",)
    items, other = form.questions[2], form.questions[3]
    assert [c.name for c in items.choices] == ["repair", "delivery", "other"]
    assert items.choices[2].labels == {"zh": "其他", "en": "Other"}
    assert other.other_of == "items" and other.rule.relevant == "selected(${items}, 'other')"
    assert form.questions[6].rule.groups_relevant == ("${visited} = 'no'",)
    assert form.questions[7].parameters == {"start": "0", "end": "10", "step": "1"}
    assert form.unsupported == ["where: question type “geopoint”"]  # listed, not dropped silently


ANSWER_SETS = [
    {"visited": "yes", "sat": "7"},
    {"visited": "yes", "sat": "5"},
    {"visited": "yes", "sat": "2", "comment": "太慢"},
    {"visited": "yes", "sat": "1", "comment": "排队一小时"},
    {"visited": "no"},
    {"visited": "no", "why_not": "太远"},
    {"visited": "yes", "sat": "3", "items": "repair other"},
    {},
]


@pytest.mark.parametrize("answers", ANSWER_SETS)
def test_the_form_behaves_as_in_odk(tmp_path: Path, answers: dict[str, str]) -> None:
    path = workbook(tmp_path / "form.xlsx")
    form = read_xlsform(path)
    paths = {
        "visited": "/data/service/visited",
        "sat": "/data/service/sat",
        "items": "/data/service/items",
        "items_other": "/data/service/items_other",
        "score": "/data/score",
        "comment": "/data/comment",
        "why_not": "/data/extra/why_not",
        "nps": "/data/nps",
    }
    session = rxeval.Session(
        create_survey_element_from_dict(parse_file_to_json(str(path))).to_xml(validate=False)
    )
    for name, value in answers.items():
        session.set(paths[name], value)
    odk = session.recompute()
    state = run_form(form.rules, answers)
    for name, path in paths.items():
        assert state.relevant[name] == odk["relevant"][path], name
    missing = {p.name for p in state.problems if p.code == "required"}
    invalid = {(p.name, p.message) for p in state.problems if p.code == "constraint"}
    by_path = {v: k for k, v in paths.items()}
    assert missing == {by_path[p] for p in odk["missing"]}
    assert invalid == {(by_path[p], message) for p, message in odk["invalid"]}


def test_a_broken_workbook_is_refused_with_the_reason(tmp_path: Path) -> None:
    bad = [row[:] for row in SURVEY]
    bad[3][5] = "${nowhere} = 'yes'"
    with pytest.raises(XLSFormError, match="nowhere"):
        read_xlsform(workbook(tmp_path / "bad.xlsx", bad))
    (tmp_path / "notes.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(XLSFormError) as error:
        read_xlsform(tmp_path / "notes.xlsx")
    assert error.value.zh != str(error.value) and (
        "有误" in error.value.zh or "无法" in error.value.zh
    )


def test_a_form_written_back_reads_the_same(tmp_path: Path) -> None:
    from manyi.analytics.xlsform import write_xlsform

    form = read_xlsform(workbook(tmp_path / "form.xlsx"))
    again = read_xlsform(write_xlsform(form, tmp_path / "again.xlsx"))
    assert (again.title, again.form_id, again.version, again.languages) == (
        form.title,
        form.form_id,
        form.version,
        form.languages,
    )
    assert again.default_language == "zh"
    assert again.questions == form.questions
    assert again.groups == form.groups


def test_a_form_survives_storage_as_json(tmp_path: Path) -> None:
    import json

    from manyi.analytics.xlsform import form_from_dict, form_to_dict

    form = read_xlsform(workbook(tmp_path / "form.xlsx"))
    stored = json.loads(json.dumps(form_to_dict(form), ensure_ascii=False))
    assert form_from_dict(stored) == form


# -- grids, rankings and shuffled choices ---------------------------------------------------
GRID_COLUMNS = [
    "type",
    "name",
    "label::Chinese (zh)",
    "label::English (en)",
    "hint::Chinese (zh)",
    "required",
    "relevant",
    "appearance",
    "parameters",
    "calculation",
]


def row(kind: str, name: str = "", zh: str = "", en: str = "", **columns: str) -> list[str]:
    """A survey row by column name (the rest blank)."""
    cells = {"type": kind, "name": name, "label::Chinese (zh)": zh, "label::English (en)": en}
    cells |= {"hint::Chinese (zh)": columns.pop("hint", "")} | columns
    return [cells.get(column, "") for column in GRID_COLUMNS]


GRID_SURVEY = [
    GRID_COLUMNS,
    row(
        "begin_group",
        "service",
        "请为服务打分",
        "Rate the service",
        hint="1 很差，5 很好",
        appearance="table-list",
    ),
    row("select_one five", "s_attitude", "服务人员态度", "Attitude", required="yes"),
    row("select_one five", "s_skill", "维修技术水平", "Skill", required="yes"),
    row("select_one five", "s_parts", "配件供应", "Parts", relevant="${s_skill} != ''"),
    row("end_group"),
    row("rank what", "priority", "最该改进的", "Improve first", parameters="randomize=true"),
    row("select_one what", "fixed", "固定顺序", "Fixed", parameters="randomize=true seed=7"),
    row("select_multiple what or_other", "heard", "渠道", "Heard", parameters="randomize=true"),
    row("select_one what", "plain", "不打乱", "Plain"),
    row("calculate", "pick", calculation="3"),
    row("select_one what", "by_field", "按字段", "By", parameters="randomize=true seed=${pick}"),
    row(
        "begin_group",
        "shuffled",
        "题组",
        "Group",
        appearance="field-list",
        parameters="randomize=true",
    ),
    row("text", "note_text", "备注", "Note"),
    row("end_group"),
]
GRID_CHOICES = [
    ["list_name", "name", "label::Chinese (zh)", "label::English (en)"],
    *[["five", str(n), f"{n} 分", f"{n} points"] for n in range(1, 6)],
    ["what", "price", "收费", "Price"],
    ["what", "speed", "速度", "Speed"],
    ["what", "staff", "态度", "Staff"],
    ["what", "98", "不知道", "Don't know"],
]


def _grid_workbook(path: Path) -> Path:
    return workbook(path, GRID_SURVEY, GRID_CHOICES)


def test_shuffled_choices_are_read_with_their_parameters(tmp_path: Path) -> None:
    form = read_xlsform(_grid_workbook(tmp_path / "grid.xlsx"))
    by_name = {q.name: q for q in form.questions}
    # pyxform leaves the choices off a randomised question: they must not go missing
    codes = ["price", "speed", "staff", "98", "other"]  # `or_other` adds "other" to the list
    for name in ("priority", "fixed", "heard", "plain", "by_field"):
        assert [c.name for c in by_name[name].choices] == codes, name
        assert by_name[name].rule.choices == tuple(codes), name
    assert by_name["priority"].kind == "rank"
    assert by_name["priority"].parameters == {"randomize": "true"}
    assert by_name["fixed"].parameters == {"randomize": "true", "seed": "7"}
    assert by_name["plain"].parameters == {}
    assert by_name["heard_other"].other_of == "heard"
    # what the page cannot honour is listed: a seed read from a field, a shuffled group
    assert form.unsupported == [
        "by_field: seed “${pick}” (the order follows each respondent's link instead)",
        "shuffled: parameters “randomize=true” on a group",
    ]


def test_a_table_list_group_is_read_as_one_grid(tmp_path: Path) -> None:
    form = read_xlsform(_grid_workbook(tmp_path / "grid.xlsx"))
    service = next(g for g in form.groups if g.name == "service")
    # pyxform turns it into a field-list with a generated label note and header row: the
    # grid keeps its appearance, label and hint, and nobody is asked the generated rows
    assert service.appearance == "table-list"
    assert service.labels == {"zh": "请为服务打分", "en": "Rate the service"}
    assert service.hints == {"zh": "1 很差，5 很好"}
    rows = [q for q in form.questions if q.group == ("service",)]
    assert [q.name for q in rows] == ["s_attitude", "s_skill", "s_parts"]
    assert {q.appearance for q in rows} == {"list-nolabel"}
    assert rows[2].rule.relevant == "${s_skill} != ''"
    assert not any(q.name.startswith(("generated_", "reserved_")) for q in form.questions)


def test_grids_and_shuffles_are_written_back(tmp_path: Path) -> None:
    from manyi.analytics.xlsform import write_xlsform

    form = read_xlsform(_grid_workbook(tmp_path / "grid.xlsx"))
    path = write_xlsform(form, tmp_path / "again.xlsx")
    again = read_xlsform(path)
    assert again.questions == form.questions
    assert again.groups == form.groups
    sheet = openpyxl.load_workbook(path)["survey"]
    header = [c.value for c in sheet[1]]
    rows = {r[1]: dict(zip(header, r, strict=True)) for r in sheet.iter_rows(2, values_only=True)}
    assert rows["fixed"]["parameters"] == "randomize=true seed=7"
    assert rows["priority"]["parameters"] == "randomize=true"
    assert rows["service"]["appearance"] == "table-list"
    # a grid's rows share one choice list, as pyxform requires of a table-list
    assert {rows[n]["type"] for n in ("s_attitude", "s_skill", "s_parts")} == {
        "select_one s_attitude"
    }


def test_choices_from_a_file_or_earlier_answers_are_listed(tmp_path: Path) -> None:
    """Without their list the page could offer nothing to choose: listed, not kept empty."""
    survey = [
        GRID_COLUMNS,
        row("select_one_from_file banks.csv", "from_file", "开户行", "Bank"),
        row("select_multiple what", "pick", "选择", "Pick"),
        row("select_one ${pick}", "again", "再选", "Again"),
    ]
    form = read_xlsform(workbook(tmp_path / "elsewhere.xlsx", survey, GRID_CHOICES))
    assert [q.name for q in form.questions] == ["pick"]
    assert form.unsupported == [
        "from_file: choices from “banks.csv”",
        "again: choices from “${pick}”",
    ]


@pytest.mark.parametrize(
    ("rows", "chinese"),
    [
        ([["foo", "a", "A", "", ""]], "未知的题型“foo”"),
        (
            [["integer", "a", "A", "", ""], ["integer", "a", "B", "", ""]],
            "第 3 行：survey 表中的名称“a”重复",
        ),
        ([["integer", "", "A", "", ""]], "缺少名称"),
        ([["integer", "a", "A", "${zz} > 1", ""]], "${zz} 不是本问卷中的题目"),
        ([["begin_group", "g", "G", "", ""], ["integer", "a", "A", "", ""]], "没有配对"),
        ([["select_one nolist", "a", "A", "", ""]], "没有选项列表“nolist”"),
        ([["integer", "a", "", "", ""]], "没有题目文字"),
    ],
)
def test_pyxform_errors_read_in_chinese(tmp_path: Path, rows, chinese) -> None:
    """pyxform speaks English: the mistakes authors make most come in Chinese too."""
    header = ["type", "name", "label::Chinese (zh)", "relevant", "calculation"]
    with pytest.raises(XLSFormError) as refused:
        read_xlsform(workbook(tmp_path / "f.xlsx", [header, *rows], CHOICES))
    assert chinese in refused.value.zh
    assert not any(word in refused.value.zh for word in ("sheet", "Unknown", "Unmatched"))
