"""The Excel report as a board reads it: headings and sheet names in the report's language,
figures rounded as a reader expects (the full values kept on a sheet of their own), and
strategy matrices whose points carry the questions' text or a number that a table names."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pandas as pd
import pytest

from manyi.analytics.analysis import Analysis, analyse
from manyi.analytics.modelfile import load_model, template_text
from manyi.analytics.report import COLUMNS, SHEETS, write_xlsx
from manyi.analytics.tests.test_pls import DATA

QUESTIONS = {
    "PERQ1": "总体质量",
    "PERQ2": "技术质量",
    "PERQ3": "售后服务与客户关怀",
    "PERQ4": "服务的整体质量",
    "PERQ5": "服务网点的数量",
    "PERQ6": "客服热线的接通速度",
    "PERQ7": "资费与套餐说明的清晰程度",
    "CUEX1": "对总体质量的预期",
    "IMAG1": "值得信赖",
}


@pytest.fixture(scope="module")
def analyses() -> dict[str, Analysis]:
    """The same analysis in each report language (the language is the analysis's own)."""
    text = template_text("ecsi") + "items:\n"
    text += "".join(f"  {item}: {{label: {label}}}\n" for item, label in QUESTIONS.items())
    model, data = load_model(text), pd.read_csv(DATA)
    return {
        language: analyse(data, model, bootstrap=40, seed=3, language=language)
        for language in ("zh", "en")
    }


@pytest.fixture
def analysis(analyses) -> Analysis:
    return analyses["zh"]


def _book(analysis: Analysis, language: str | None = None) -> tuple[openpyxl.Workbook, bytes]:
    assert language is None or analysis.language == language
    buffer = io.BytesIO()
    write_xlsx(analysis, buffer)
    data = buffer.getvalue()
    return openpyxl.load_workbook(io.BytesIO(data)), data


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


@pytest.mark.parametrize("language", ["zh", "en"])
def test_sheet_names_and_headings_are_in_the_reports_language(analyses, language):
    book, _ = _book(analyses[language], language)
    side = 0 if language == "zh" else 1
    names = {key: pair[side] for key, pair in SHEETS.items()}
    assert set(book.sheetnames) <= set(names.values())
    assert names["raw"] in book.sheetnames and names["ipma_items"] in book.sheetnames
    codes = set(COLUMNS) - {"r2", "vif", "t", "p"}  # these read the same in both
    for name in book.sheetnames:
        if name in (names["summary"], names["raw"]):
            continue
        header = _rows(book[name])[0]
        assert not codes & {h for h in header if isinstance(h, str)}, (name, header)
    if language == "zh":
        assert book.sheetnames[-1] == "原始数据"
        assert _rows(book["路径与效应"])[0] == (
            "原因变量",
            "结果变量",
            "直接效应",
            "间接效应",
            "总效应",
        )
    else:
        assert book.sheetnames[-1] == "Raw values"
        assert _rows(book["Item strategy matrix"])[0][:5] == (
            "Construct",
            "Item",
            "Label",
            "Importance",
            "Performance",
        )


def test_figures_are_rounded_as_a_reader_expects_and_kept_whole_for_analysts(analysis):
    book, _ = _book(analysis, "zh")
    paths = book["路径与效应"]
    for row in paths.iter_rows(min_row=2):
        for cell in row[2:]:
            assert _decimals(cell.value) <= 3 and cell.number_format == "0.000", cell.value
    weights = [row[2] for row in _rows(book["外部模型"])[1:]]
    assert all(_decimals(w) <= 3 for w in weights)
    index = [row[2] for row in _rows(book["满意度指数"])[1:]]
    assert all(_decimals(v) <= 1 for v in index) and book["满意度指数"]["C2"].number_format == "0.0"
    ranking = _rows(book["改进排序"])
    at = ranking[0].index("得分")
    assert all(_decimals(row[at]) <= 1 for row in ranking[1:])
    boot = _rows(book["自助法检验"])
    p_at, kind_at, original_at = (
        boot[0].index("p 值"),
        boot[0].index("类型"),
        boot[0].index("原始估计"),
    )
    assert all(_decimals(row[p_at]) <= 3 for row in boot[1:])
    index_rows = [row for row in boot[1:] if row[kind_at] == "index"]
    assert index_rows and all(_decimals(row[original_at]) <= 1 for row in index_rows)

    # The raw sheet: the same tables at full precision, each under its sheet's name.
    raw = _rows(book["原始数据"])
    titles = [row[0] for row in raw if row[0] in set(book.sheetnames)]
    assert "路径与效应" in titles and "自助法检验" in titles
    exact = float(analysis.result.paths.loc["Quality", "Satisfaction"])
    assert any(exact in row for row in raw)  # not rounded
    assert round(exact, 3) in {c.value for row in paths.iter_rows() for c in row}
    assert exact not in {c.value for row in paths.iter_rows() for c in row}


def _charts(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [
            archive.read(name).decode()
            for name in sorted(archive.namelist())
            if re.fullmatch(r"xl/charts/chart\d+\.xml", name)
        ]


def test_the_item_matrix_in_excel_names_its_points_by_the_question_text(analysis):
    book, data = _book(analysis, "zh")
    sheet = book["题项战略矩阵"]
    header = _rows(sheet)[0]
    labels = [row[header.index("名称")] for row in _rows(sheet)[1:18]]
    assert labels[:3] == [QUESTIONS["IMAG1"], "IMAG2", "IMAG3"]  # the question, else the code
    charts = _charts(data)
    item_chart = next(c for c in charts if "题项的满意度战略矩阵" in c)
    titles = re.findall(r"<(?:c:)?tx><(?:c:)?v>([^<]*)</(?:c:)?v></(?:c:)?tx>", item_chart)
    shown = titles[:17]  # one series per item, then the two cut lines
    legend_at = next(
        r
        for r in range(1, sheet.max_row + 1)
        for c in range(1, sheet.max_column + 1)
        if sheet.cell(r, c).value == "图中编号的点"
    )
    column = next(
        c
        for c in range(1, sheet.max_column + 1)
        if sheet.cell(legend_at, c).value == "图中编号的点"
    )
    legend = {
        sheet.cell(r, column).value: sheet.cell(r, column + 1).value
        for r in range(legend_at + 2, sheet.max_row + 1)
        if sheet.cell(r, column).value is not None
    }
    for title, label in zip(shown, labels, strict=True):
        if title == label:
            continue
        assert legend[int(title)] == label, (title, label)  # numbered: the table names it
    named = [t for t in shown if not t.isdigit()]
    assert QUESTIONS["PERQ7"] in named or QUESTIONS["PERQ7"] in legend.values()
    assert len(named) >= 8, shown
    # Each named point's data label shows its series' name, beside the marker.
    assert len(re.findall(r'showSerName val="1"\s*/>', item_chart)) >= len(named)
    positions = set(re.findall(r'dLblPos val="(\w+)"\s*/>', item_chart))
    assert positions and positions <= {"r", "l", "t", "b"}


def test_the_drivers_matrix_in_excel_is_labelled_too(analyses):
    _, data = _book(analyses["en"], "en")
    charts = _charts(data)
    drivers = next(c for c in charts if ">Strategy matrix<" in c)
    titles = re.findall(r"<(?:c:)?tx><(?:c:)?v>([^<]*)</(?:c:)?v></(?:c:)?tx>", drivers)
    assert set(titles[:4]) == {"Image", "Expectation", "Perceived quality", "Perceived value"}
    assert len(re.findall(r'showSerName val="1"\s*/>', drivers)) == 4
