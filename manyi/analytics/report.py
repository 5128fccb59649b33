"""The Excel report of an analysis: one sheet per part, with native Excel charts (no Django).

Charts are Excel's own (openpyxl), so the analyst can restyle them and paste them into the
board deck: the 0-100 index as bars, and the strategy matrices (drivers, and items) as
scatters with the two cut lines that divide them into seed 000's four areas, each point
labelled with its name, or numbered where the name finds no room (a table under the chart
names the numbers). Figures are rounded as a reader expects them (coefficients, weights
and p-values to 3 places, indexes and scores to 1); the last sheet keeps every table at
full precision for analysts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pandas as pd
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.chart.label import DataLabel, DataLabelList
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .analysis import Analysis
from .charts import Box, Point, matrix_range, place_labels
from .ipma import QUADRANTS
from .reliability import THRESHOLDS
from .spreadsheet import workbook

SHEETS = {
    "summary": ("概览", "Summary"),
    "data": ("数据处理", "Data handling"),
    "validity": ("信度与效度", "Validity"),
    "flags": ("需注意", "Flags"),
    "htmt": ("HTMT", "HTMT"),
    "fornell_larcker": ("Fornell-Larcker", "Fornell-Larcker"),
    "index": ("满意度指数", "Index"),
    "paths": ("路径与效应", "Paths and effects"),
    "r2": ("R²", "R2"),
    "outer": ("外部模型", "Outer model"),
    "cross_loadings": ("交叉载荷", "Cross-loadings"),
    "f2": ("f²", "f2"),
    "inner_vif": ("内部VIF", "Inner VIF"),
    "ipma": ("战略矩阵", "Strategy matrix"),
    "ipma_items": ("题项战略矩阵", "Item strategy matrix"),
    "priority": ("改进排序", "Improvement ranking"),
    "bootstrap": ("自助法检验", "Bootstrap"),
    "raw": ("原始数据", "Raw values"),
}
# Column headings in the reader's language: the frames keep the codes that the JSON result
# and analysts' scripts use; the workbook is read by people.
COLUMNS = {
    "item": ("题项", "Item"),
    "dont_know": ("“不知道”个数", "Don't know"),
    "missing": ("缺失个数", "Missing"),
    "reversed": ("反向计分", "Reversed"),
    "construct": ("潜变量", "Construct"),
    "items": ("题项数", "Items"),
    "mode": ("测量模式", "Mode"),
    "alpha": ("Cronbach α", "Cronbach's alpha"),
    "rho_c": ("组合信度 ρc", "Composite reliability rho_c"),
    "rho_a": ("ρA 信度", "rho_A"),
    "ave": ("平均提取方差 AVE", "AVE"),
    "fornell_larcker": ("Fornell-Larcker 准则", "Fornell-Larcker"),
    "check": ("检查项", "Check"),
    "where": ("位置", "Where"),
    "value": ("值", "Value"),
    "message": ("说明", "Message"),
    "label": ("名称", "Label"),
    "source": ("原因变量", "From"),
    "target": ("结果变量", "To"),
    "direct": ("直接效应", "Direct effect"),
    "indirect": ("间接效应", "Indirect effect"),
    "total": ("总效应", "Total effect"),
    "r2": ("R²", "R²"),
    "r2_adjusted": ("调整后 R²", "Adjusted R²"),
    "weight": ("权重", "Weight"),
    "loading": ("载荷", "Loading"),
    "unstandardised_weight": ("非标准化权重", "Unstandardised weight"),
    "vif": ("VIF", "VIF"),
    "importance": ("重要性", "Importance"),
    "performance": ("表现", "Performance"),
    "quadrant": ("象限", "Quadrant"),
    "area": ("区域与对策", "Area"),
    "rank": ("排序", "Rank"),
    "score": ("得分", "Score"),
    "impact": ("影响", "Impact"),
    "potential": ("提升潜力", "Potential"),
    "recommendation": ("建议", "Recommendation"),
    "kind": ("类型", "Kind"),
    "name": ("名称", "Name"),
    "original": ("原始估计", "Original"),
    "mean": ("均值", "Mean"),
    "se": ("标准误", "Standard error"),
    "t": ("t 值", "t"),
    "p": ("p 值", "p"),
    "ci_low": ("95% 区间下限", "95% interval, low"),
    "ci_high": ("95% 区间上限", "95% interval, high"),
    "bca_low": ("BCa 区间下限", "BCa interval, low"),
    "bca_high": ("BCa 区间上限", "BCa interval, high"),
}
# Where a frame's row labels (its index) or its "index" column mean something else.
INDEX_HEADINGS = {"index": ("满意度指数（0-100）", "Index (0-100)")}
ROW_HEADING = ("潜变量", "Construct")
ROW_HEADINGS = {"cross_loadings": ("题项", "Item")}  # rows that are items, not constructs
# Decimal places as a reader expects them; any other figure gets 3 (coefficients, weights,
# loadings, reliabilities, R², p-values). On the bootstrap sheet an index's estimates and
# bounds are 0-100 figures too.
PLACES = {"index": 1, "score": 1, "performance": 1, "potential": 2, "t": 2}
INDEX_ESTIMATES = {"original", "mean", "se", "ci_low", "ci_high", "bca_low", "bca_high"}
# The legend table under a strategy matrix, and its chart's words.
LEGEND = {
    "number": ("编号", "No."),
    "numbered": ("图中编号的点", "Points numbered on the chart"),
    "matrix": ("满意度战略矩阵", "Strategy matrix"),
    "item_matrix": ("题项的满意度战略矩阵", "Item strategy matrix"),
    "importance": ("重要性（对满意度的影响）", "Importance (total effect)"),
    "performance": ("表现（0-100 得分）", "Performance (0-100)"),
    "mean_importance": ("重要性均值", "mean importance"),
    "mean_performance": ("表现均值", "mean performance"),
}
# Excel's data label positions for the spots of `place_labels` it can take.
EXCEL_SPOTS = {"right": "r", "left": "l", "above": "t", "below": "b"}
# Codes in the cells that have words: the checks of the flags ("check"), the bootstrap's
# parameter kinds ("kind"), the measurement modes ("mode"), and the options "scheme" and
# "missing" on the summary. The caller gives the words in the reader's language (the
# Django side translates them through its catalogue); a code without a word shows as is.
Words = Mapping[str, Mapping[str, str]]
WORDED_COLUMNS = ("check", "kind", "mode")
HEADER = PatternFill("solid", fgColor="DDE7F3")
INK = "1F5FA8"  # the markers, as on the page and in the PDF
FLAGGED = PatternFill("solid", fgColor="FCE4D6")


def named(name: str, names: Mapping[str, str]) -> str:
    """A parameter or place named by construct codes ("Image -> Loyalty", "Image / IMAG2",
    "Image ~ Value", "Image") with the constructs' labels; an item keeps its code, which
    is the data's own column name."""
    for separator, shown in ((" -> ", " → "), (" ~ ", " ~ ")):
        if separator in name:
            return shown.join(names.get(part, part) for part in name.split(separator))
    construct, slash, item = name.partition(" / ")
    return names.get(construct, construct) + (f" / {item}" if slash else "")


def _sheet_name(key: str, side: int) -> str:
    """A sheet's name in the reader's language (a table without one is named by its key)."""
    return SHEETS.get(key, (key, key))[side][:31]


def write_xlsx(
    analysis: Analysis, target: str | Path | IO[bytes], *, words: Words | None = None
) -> None:
    """The workbook of `analysis`; `words` names the codes in cells (see `Words`)."""
    zh = analysis.language.startswith("zh")
    side = 0 if zh else 1
    words = words or {}
    book = workbook()
    summary = book.active
    summary.title = SHEETS["summary"][side]
    # Constructs by their labels in the reader's language where the model gives them.
    lang = analysis.language[:2]
    names = {
        c: analysis.model.labels.get(c, {}).get(lang) or c for c in analysis.model.path_model.blocks
    }
    _summary(summary, analysis, zh, words)
    tables: list[tuple[str, _Table]] = []
    for key, frame in analysis.frames().items():
        if frame is None or frame.empty:
            continue
        if key == "ipma_items" and "label" not in frame.columns:  # the question's text
            frame = frame.copy()
            frame.insert(2, "label", [analysis.model.item_label(i) for i in frame["item"]])
        sheet = book.create_sheet(_sheet_name(key, side))
        keep_index = not isinstance(frame.index, pd.RangeIndex)
        table = _table(frame, index=keep_index, zh=zh, names=names, sheet_key=key, words=words)
        _write_table(sheet, table, sheet_key=key)
        sheet.freeze_panes = "B2"
        tables.append((key, table))
        if key == "index":
            _index_chart(sheet, frame, zh)
        if key == "ipma":
            _matrix_chart(sheet, table, analysis.cuts, zh, kind="matrix")
        if key == "ipma_items" and analysis.priority is not None:
            cuts = analysis.priority.attrs.get("cuts")
            if cuts:
                _matrix_chart(sheet, table, cuts, zh, kind="item_matrix")
        if key == "validity":
            _shade_validity(sheet, frame)
    _raw_sheet(book.create_sheet(SHEETS["raw"][side]), tables, side)
    book.save(target)


def _summary(sheet: Worksheet, analysis: Analysis, zh: bool, words: Words) -> None:
    result = analysis.result
    missing = analysis.options.get("missing")
    target = analysis.model.label(analysis.target, analysis.language) if analysis.target else "-"
    rows = [
        ("模型" if zh else "Model", analysis.model.name or "-"),
        ("目标变量" if zh else "Target", target),
        ("有效样本" if zh else "Cases used", result.n),
        ("原始样本" if zh else "Cases read", analysis.prepared.report.get("n_input")),
        ("缺失值处理" if zh else "Missing values", words.get("missing", {}).get(missing, missing)),
        (
            "内部权重方案" if zh else "Inner weighting",
            words.get("scheme", {}).get(result.scheme, result.scheme),
        ),
        ("迭代次数" if zh else "Iterations", result.iterations),
        ("GoF", round(result.gof, 3)),
        ("自助抽样次数" if zh else "Bootstrap samples", analysis.options.get("bootstrap") or 0),
        ("随机种子" if zh else "Seed", analysis.options.get("seed")),
    ]
    if analysis.target:
        rows.append(
            (
                f"{analysis.model.label(analysis.target, analysis.language)} 指数"
                if zh
                else "Target index",
                round(float(analysis.index[analysis.target]), 1),
            )
        )
    for row in rows:
        sheet.append(list(row))
    sheet.append([])
    sheet.append(["阈值说明" if zh else "Thresholds"])
    sheet.cell(sheet.max_row, 1).font = Font(bold=True)
    checks = words.get("check", {})
    for key, spec in THRESHOLDS.items():
        sheet.append([checks.get(key, key), str(spec["zh" if zh else "en"])])
    for warning in result.warnings:
        sheet.append(["!", warning])
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 100


def _heading(column: object, *, zh: bool, names: dict[str, str], sheet_key: str) -> str:
    side = 0 if zh else 1
    if column == "index":
        if sheet_key == "index":
            return INDEX_HEADINGS["index"][side]
        return ROW_HEADINGS.get(sheet_key, ROW_HEADING)[side]
    if isinstance(column, str) and column in COLUMNS:
        return COLUMNS[column][side]
    return names.get(str(column), str(column))


@dataclass
class _Table:
    """A frame as the workbook shows it: the column codes, their headings in words, the
    cells (codes and constructs in words, numbers at full precision) and the decimal
    places each number is shown with."""

    codes: list[str]
    header: list[str]
    rows: list[list[object]]
    places: list[list[int | None]]


def _table(
    frame: pd.DataFrame,
    *,
    index: bool,
    zh: bool = True,
    names: dict[str, str] | None = None,
    sheet_key: str = "",
    words: Words | None = None,
) -> _Table:
    names = names or {}
    words = words or {}
    frame = frame.reset_index() if index else frame
    if "quadrant" in frame.columns and "area" in frame.columns:  # the area says it in words
        frame = frame.drop(columns="quadrant")
    kinds = [str(k) for k in frame["kind"]] if "kind" in frame.columns else None
    if "quadrant" in frame.columns:  # the area's words, not its code
        frame = frame.assign(
            quadrant=[QUADRANTS.get(q, {}).get("zh" if zh else "en", q) for q in frame["quadrant"]]
        )
    header = [_heading(c, zh=zh, names=names, sheet_key=sheet_key) for c in frame.columns]
    # Constructs, as a frame's rows or the ends of a path, by their labels.
    first = frame.columns[0]
    by_name = {"source", "target"} | ({first} if str(first) in {"index", "construct"} else set())
    by_name |= {"construct"}
    if sheet_key in ROW_HEADINGS:  # rows of items keep the items' codes
        by_name -= {first}
    for column in by_name & set(frame.columns):
        frame = frame.assign(**{str(column): [names.get(str(v), v) for v in frame[column]]})
    # Places and parameters named by constructs (a flag's "where", a bootstrap "name").
    for column in {"where", "name"} & set(frame.columns):
        frame = frame.assign(**{column: [named(str(v), names) for v in frame[column]]})
    for column in set(WORDED_COLUMNS) & set(frame.columns) & set(words):
        said = words[column]
        frame = frame.assign(**{column: [said.get(str(v), v) for v in frame[column]]})
    codes = [str(c) for c in frame.columns]
    rows = [[_cell(v) for v in row] for row in frame.itertuples(index=False)]
    places = [
        [
            _places(sheet_key, code, kinds[r] if kinds else None) if isinstance(v, float) else None
            for code, v in zip(codes, row, strict=True)
        ]
        for r, row in enumerate(rows)
    ]
    return _Table(codes, header, rows, places)


def _places(sheet_key: str, code: str, kind: str | None) -> int:
    """Decimal places of a figure in column `code` (and, on the bootstrap sheet, of the
    parameter `kind`)."""
    if sheet_key == "index" and code == "index":
        return 1
    if kind == "index" and code in INDEX_ESTIMATES:
        return 1
    return PLACES.get(code, 3) if code != "index" else 3


def _write_table(sheet: Worksheet, table: _Table, *, sheet_key: str, top: int = 1) -> int:
    """Write `table` with its heading row at row `top`, figures rounded for the reader
    (`sheet_key` "raw": at full precision); the row after it is returned."""
    rounded = sheet_key != "raw"
    for col, heading in enumerate(table.header, start=1):
        cell = sheet.cell(top, col, heading)
        cell.font = Font(bold=True)
        cell.fill = HEADER
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, (row, places) in enumerate(zip(table.rows, table.places, strict=True), start=top + 1):
        for col, (value, digits) in enumerate(zip(row, places, strict=True), start=1):
            cell = sheet.cell(r, col, value)
            if digits is not None and rounded and isinstance(value, float):
                cell.value = round(value, digits)
                cell.number_format = "0." + "0" * digits if digits else "0"
    for col, heading in enumerate(table.header, start=1):
        shown = [
            _shown(row[col - 1], places[col - 1], rounded)
            for row, places in zip(table.rows[:200], table.places, strict=False)
        ]
        values = [len(heading)] + [len(v) for v in shown]
        letter = get_column_letter(col)
        width = min(60, max(10, max(values) + 2))
        if rounded or width > (sheet.column_dimensions[letter].width or 0):
            sheet.column_dimensions[letter].width = width
    return top + 1 + len(table.rows)


def _shown(value: object, digits: int | None, rounded: bool) -> str:
    """A cell as the reader sees it, for the column's width."""
    if rounded and digits is not None and isinstance(value, float):
        return f"{value:.{digits}f}"
    return "" if value is None else str(value)


def _raw_sheet(sheet: Worksheet, tables: list[tuple[str, _Table]], side: int) -> None:
    """Every table again, one under the other, each under its sheet's name, with every
    figure at full precision: for analysts who compute on."""
    row = 1
    for key, table in tables:
        sheet.cell(row, 1, _sheet_name(key, side)).font = Font(bold=True, size=12)
        row = _write_table(sheet, table, sheet_key="raw", top=row + 1) + 1


def _cell(value: object) -> object:
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()  # type: ignore[union-attr]
    if isinstance(value, (list, tuple, dict)):
        return str(value)
    return value


def _shade_validity(sheet: Worksheet, frame: pd.DataFrame) -> None:
    """Shade a reliability below its threshold, judged on the unrounded value (0.6996
    shows as 0.700 but fails 0.7)."""
    columns = list(frame.columns)
    for key in ("alpha", "rho_c", "rho_a", "ave"):
        if key not in columns:
            continue
        col = columns.index(key) + 1
        minimum = THRESHOLDS[key]["min"]
        for row, (value, items) in enumerate(zip(frame[key], frame["items"], strict=True), 2):
            if pd.notna(value) and items and items > 1 and value < minimum:  # type: ignore[operator]
                sheet.cell(row, col).fill = FLAGGED


def _index_chart(sheet: Worksheet, frame: pd.DataFrame, zh: bool) -> None:
    chart = BarChart()
    chart.type = "bar"
    chart.title = "满意度指数（0-100）" if zh else "Index (0-100)"
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 100
    rows = len(frame) + 1
    chart.add_data(Reference(sheet, min_col=3, min_row=1, max_row=rows), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=2, min_row=2, max_row=rows))
    chart.legend = None
    chart.height, chart.width = 8, 16
    sheet.add_chart(chart, "F2")


def _matrix_chart(
    sheet: Worksheet, table: _Table, cuts: Mapping[str, float], zh: bool, *, kind: str
) -> None:
    """Scatter: importance on x, performance on y; one series per point, named by its
    label, or by its number where `place_labels` finds the label no room (Excel's data
    labels can only sit right, left, above or below a marker, so only those are tried,
    on the chart's own geometry: its plot area and axes are fixed here). A table under
    the chart names the numbered points. Two line series draw the cuts."""
    side = 0 if zh else 1
    x_col = table.codes.index("importance") + 1
    y_col = table.codes.index("performance") + 1
    label_col = table.codes.index("label")
    labels = [str(row[label_col]) for row in table.rows]
    values = [(float(row[x_col - 1]), float(row[y_col - 1])) for row in table.rows]  # type: ignore[arg-type]
    axes = matrix_range(
        [Point(label, x, y, "") for label, (x, y) in zip(labels, values, strict=True)],
        cuts["importance"],
        cuts["performance"],
    )
    chart = ScatterChart()
    chart.title = LEGEND[kind][side]
    chart.style = 13
    chart.height, chart.width = 12, 18  # cm
    chart.x_axis.title = LEGEND["importance"][side]
    chart.y_axis.title = LEGEND["performance"][side]
    chart.x_axis.scaling.min, chart.x_axis.scaling.max = axes.x_min, axes.x_max
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = axes.y_min, axes.y_max
    chart.x_axis.number_format, chart.y_axis.number_format = "0.00", "0"
    chart.x_axis.delete = chart.y_axis.delete = False
    chart.legend = None  # the data labels name the points; the table names the numbers
    # The plot area where it is fixed, so the labels can be placed on its geometry.
    frame = (0.11, 0.11, 0.85, 0.72)  # left, top, width, height: fractions of the chart
    chart.plot_area.layout = Layout(
        manualLayout=ManualLayout(
            layoutTarget="inner",
            xMode="edge",
            yMode="edge",
            x=frame[0],
            y=frame[1],
            w=frame[2],
            h=frame[3],
        )
    )
    px_w, px_h = chart.width / 2.54 * 96, chart.height / 2.54 * 96
    plot = Box(frame[0] * px_w, frame[1] * px_h, frame[2] * px_w, frame[3] * px_h)

    def at(x: float, y: float) -> tuple[float, float]:
        return (
            plot.x + (x - axes.x_min) / (axes.x_max - axes.x_min) * plot.w,
            plot.y + (axes.y_max - y) / (axes.y_max - axes.y_min) * plot.h,
        )

    layout = place_labels(
        [at(x, y) for x, y in values],
        labels,
        Box(plot.x + 2, plot.y + 2, plot.w - 4, plot.h - 4),
        size=12,  # 9 pt
        radius=5,
        max_width=plot.w / 3,
        spots=tuple(EXCEL_SPOTS),
        reach=False,
    )
    small = CharacterProperties(sz=900)
    text = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=small), endParaRPr=small, r=[])])
    for row, label in enumerate(layout.labels, start=2):
        series = Series(
            Reference(sheet, min_col=y_col, min_row=row),
            Reference(sheet, min_col=x_col, min_row=row),
            title=label.text,
        )
        series.marker.symbol = "circle"
        series.marker.size = 7
        series.marker.graphicalProperties = GraphicalProperties(solidFill=INK)
        series.marker.graphicalProperties.line.solidFill = "FFFFFF"
        series.graphicalProperties.line.noFill = True
        if label.box is not None:
            series.dLbls = DataLabelList(
                dLbl=[
                    DataLabel(
                        idx=0,
                        dLblPos=EXCEL_SPOTS[label.spot],
                        showSerName=True,
                        showVal=False,
                        showCatName=False,
                        showLegendKey=False,
                        showPercent=False,
                        showBubbleSize=False,
                        txPr=text,
                    )
                ],
                showVal=False,
            )
        chart.series.append(series)
    # The cut lines, written below the table so the chart can refer to them.
    base = len(table.rows) + 4
    imp, perf = cuts["importance"], cuts["performance"]
    lines = [
        (LEGEND["mean_importance"][side], [(imp, axes.y_min), (imp, axes.y_max)]),
        (LEGEND["mean_performance"][side], [(axes.x_min, perf), (axes.x_max, perf)]),
    ]
    for offset, (title, points) in enumerate(lines):
        top = base + offset * 3
        sheet.cell(top, 1, title)
        for k, (x, y) in enumerate(points):
            sheet.cell(top + k + 1, 1, x).number_format = "0.000"
            sheet.cell(top + k + 1, 2, y).number_format = "0.0"
        series = Series(
            Reference(sheet, min_col=2, min_row=top + 1, max_row=top + 2),
            Reference(sheet, min_col=1, min_row=top + 1, max_row=top + 2),
            title=title,
        )
        series.marker.symbol = "none"
        series.graphicalProperties.line.dashStyle = "dash"
        series.graphicalProperties.line.solidFill = "888888"
        series.graphicalProperties.line.width = 9525  # 0.75 pt
        chart.series.append(series)
    anchor_col = len(table.codes) + 2
    sheet.add_chart(chart, f"{get_column_letter(anchor_col)}2")
    # Printed, the sheet fits one landscape page wide, so the chart is not cut in two.
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    numbered = [
        (label.number, text, xy)
        for label, text, xy in zip(layout.labels, labels, values, strict=True)
        if label.number is not None
    ]
    _legend_table(sheet, numbered, anchor_col, top=27, side=side, kind=kind)


def _legend_table(
    sheet: Worksheet,
    rows: list[tuple[int, str, tuple[float, float]]],
    col: int,
    *,
    top: int,
    side: int,
    kind: str,
) -> None:
    """Under the chart: the numbered points (number, name, figures)."""
    if not rows:
        return
    sheet.cell(top, col, LEGEND["numbered"][side]).font = Font(bold=True)
    heading = COLUMNS["item" if kind == "item_matrix" else "construct"][side]
    names = [LEGEND["number"][side], heading]
    names += [COLUMNS["importance"][side], COLUMNS["performance"][side]]
    for k, name in enumerate(names):
        cell = sheet.cell(top + 1, col + k, name)
        cell.font = Font(bold=True)
        cell.fill = HEADER
    for r, (number, text, (x, y)) in enumerate(rows, start=top + 2):
        sheet.cell(r, col, number)
        sheet.cell(r, col + 1, text)
        sheet.cell(r, col + 2, round(x, 3)).number_format = "0.000"
        sheet.cell(r, col + 3, round(y, 1)).number_format = "0.0"
    letter = get_column_letter(col + 1)
    wide = min(60, max(len(text) for _, text, _ in rows) * 2 + 2)
    sheet.column_dimensions[letter].width = max(sheet.column_dimensions[letter].width or 10, wide)
