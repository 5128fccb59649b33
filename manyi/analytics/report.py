"""The Excel report of an analysis: one sheet per part, with native Excel charts (no Django).

Charts are Excel's own (openpyxl), so the analyst can restyle them and paste them into the
board deck: the 0-100 index as bars, and the strategy matrix as a scatter of the drivers
with the two cut lines that divide it into seed 000's four areas.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import IO

import pandas as pd
from openpyxl.chart import BarChart, Reference, ScatterChart, Series
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from .analysis import Analysis
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
    "ipma_items": ("题项IPMA", "Item IPMA"),
    "priority": ("改进排序", "Improvement ranking"),
    "bootstrap": ("自助法检验", "Bootstrap"),
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
# Codes in the cells that have words: the checks of the flags ("check"), the bootstrap's
# parameter kinds ("kind"), the measurement modes ("mode"), and the options "scheme" and
# "missing" on the summary. The caller gives the words in the reader's language (the
# Django side translates them through its catalogue); a code without a word shows as is.
Words = Mapping[str, Mapping[str, str]]
WORDED_COLUMNS = ("check", "kind", "mode")
HEADER = PatternFill("solid", fgColor="DDE7F3")
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


def write_xlsx(
    analysis: Analysis, target: str | Path | IO[bytes], *, words: Words | None = None
) -> None:
    """The workbook of `analysis`; `words` names the codes in cells (see `Words`)."""
    zh = analysis.language.startswith("zh")
    words = words or {}
    book = workbook()
    summary = book.active
    summary.title = SHEETS["summary"][0 if zh else 1]
    # Constructs by their labels in the reader's language where the model gives them.
    lang = analysis.language[:2]
    names = {
        c: analysis.model.labels.get(c, {}).get(lang) or c for c in analysis.model.path_model.blocks
    }
    _summary(summary, analysis, zh, words)
    for key, frame in analysis.frames().items():
        if frame is None or frame.empty:
            continue
        sheet = book.create_sheet(SHEETS[key][0 if zh else 1])
        keep_index = not isinstance(frame.index, pd.RangeIndex)
        _write_frame(sheet, frame, index=keep_index, zh=zh, names=names, sheet_key=key, words=words)
        if key == "index":
            _index_chart(sheet, frame, zh)
        if key == "ipma":
            _matrix_chart(sheet, frame, analysis, zh)
        if key == "validity":
            _shade_validity(sheet, frame)
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
        ("GoF", round(result.gof, 4)),
        ("自助抽样次数" if zh else "Bootstrap samples", analysis.options.get("bootstrap") or 0),
        ("随机种子" if zh else "Seed", analysis.options.get("seed")),
    ]
    if analysis.target:
        rows.append(
            (
                f"{analysis.model.label(analysis.target, analysis.language)} 指数"
                if zh
                else "Target index",
                round(float(analysis.index[analysis.target]), 2),
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
        return INDEX_HEADINGS["index"][side] if sheet_key == "index" else ROW_HEADING[side]
    if isinstance(column, str) and column in COLUMNS:
        return COLUMNS[column][side]
    return names.get(str(column), str(column))


def _write_frame(
    sheet: Worksheet,
    frame: pd.DataFrame,
    *,
    index: bool,
    zh: bool = True,
    names: dict[str, str] | None = None,
    sheet_key: str = "",
    words: Words | None = None,
) -> None:
    names = names or {}
    words = words or {}
    frame = frame.reset_index() if index else frame
    if "quadrant" in frame.columns and "area" in frame.columns:  # the area says it in words
        frame = frame.drop(columns="quadrant")
    if "quadrant" in frame.columns:  # the area's words, not its code
        frame = frame.assign(
            quadrant=[QUADRANTS.get(q, {}).get("zh" if zh else "en", q) for q in frame["quadrant"]]
        )
    header = [_heading(c, zh=zh, names=names, sheet_key=sheet_key) for c in frame.columns]
    # Constructs, as a frame's rows or the ends of a path, by their labels.
    first = frame.columns[0]
    by_name = {"source", "target"} | ({first} if str(first) in {"index", "construct"} else set())
    by_name |= {"construct"}
    for column in by_name & set(frame.columns):
        frame = frame.assign(**{str(column): [names.get(str(v), v) for v in frame[column]]})
    # Places and parameters named by constructs (a flag's "where", a bootstrap "name").
    for column in {"where", "name"} & set(frame.columns):
        frame = frame.assign(**{column: [named(str(v), names) for v in frame[column]]})
    for column in set(WORDED_COLUMNS) & set(frame.columns) & set(words):
        said = words[column]
        frame = frame.assign(**{column: [said.get(str(v), v) for v in frame[column]]})
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in frame.itertuples(index=False):
        sheet.append([_cell(v) for v in row])
    for position, column in enumerate(frame.columns, start=1):
        longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
        sheet.column_dimensions[get_column_letter(position)].width = min(60, max(10, longest + 2))
        if frame[column].dtype.kind == "f":
            for cell in sheet.iter_cols(position, position, 2, sheet.max_row):
                for c in cell:
                    c.number_format = "0.0000"
    sheet.freeze_panes = "B2"


def _cell(value: object) -> object:
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return value.item()  # type: ignore[union-attr]
    if isinstance(value, (list, tuple, dict)):
        return str(value)
    return value


def _shade_validity(sheet: Worksheet, frame: pd.DataFrame) -> None:
    columns = list(frame.columns)
    for key in ("alpha", "rho_c", "rho_a", "ave"):
        if key not in columns:
            continue
        col = columns.index(key) + 1
        for row in range(2, sheet.max_row + 1):
            value = sheet.cell(row, col).value
            items = sheet.cell(row, columns.index("items") + 1).value
            minimum = THRESHOLDS[key]["min"]
            if isinstance(value, float) and items and items > 1 and value < minimum:  # type: ignore[operator]
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


def _matrix_chart(sheet: Worksheet, frame: pd.DataFrame, analysis: Analysis, zh: bool) -> None:
    """Scatter: importance on x, performance on y; one series per driver so each is named,
    and two line series for the cuts (mean importance, mean performance)."""
    columns = list(frame.columns)
    x_col = columns.index("importance") + 1
    y_col = columns.index("performance") + 1
    chart = ScatterChart()
    chart.title = "满意度战略矩阵" if zh else "Strategy matrix"
    chart.style = 13
    chart.x_axis.title = "重要性（对满意度的影响）" if zh else "Importance (total effect)"
    chart.y_axis.title = "表现（0-100 得分）" if zh else "Performance (0-100)"
    for row in range(2, len(frame) + 2):
        series = Series(
            Reference(sheet, min_col=y_col, min_row=row),
            Reference(sheet, min_col=x_col, min_row=row),
            title=str(sheet.cell(row, columns.index("label") + 1).value),
        )
        series.marker.symbol = "circle"
        series.marker.size = 9
        series.graphicalProperties.line.noFill = True
        chart.series.append(series)
    # The cut lines, written below the table so the chart can refer to them.
    base = len(frame) + 4
    imp, perf = analysis.cuts["importance"], analysis.cuts["performance"]
    x_max = float(frame["importance"].max()) * 1.15
    lines = [
        ("重要性均值" if zh else "mean importance", [(imp, 0.0), (imp, 100.0)]),
        ("表现均值" if zh else "mean performance", [(0.0, perf), (x_max, perf)]),
    ]
    for offset, (title, points) in enumerate(lines):
        top = base + offset * 3
        sheet.cell(top, 1, title)
        for k, (x, y) in enumerate(points):
            sheet.cell(top + k + 1, 1, x)
            sheet.cell(top + k + 1, 2, y)
        series = Series(
            Reference(sheet, min_col=2, min_row=top + 1, max_row=top + 2),
            Reference(sheet, min_col=1, min_row=top + 1, max_row=top + 2),
            title=title,
        )
        series.marker.symbol = "none"
        series.graphicalProperties.line.dashStyle = "dash"
        chart.series.append(series)
    chart.height, chart.width = 12, 18
    sheet.add_chart(chart, f"{get_column_letter(len(columns) + 2)}2")
