"""Survey data as it really arrives, made fit for estimation (no Django).

Per item: its theoretical scale (1-5, 1-7, 1-10, 0-10 ...), "don't know" codes (99, 0,
"不知道" ...) that mean no answer, and reverse coding (a negatively worded question:
x -> min + max - x). Missing answers are handled casewise (drop the respondent) or by
replacing them with the item's mean; either way the report says how many. Answers outside
the declared scale and text that is not a number are refused with row and column, because
guessing would silently change the index.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .pls import PLSError

MissingTreatment = Literal["casewise", "mean"]
MISSING_TREATMENTS = ("casewise", "mean")
EMPTY_TEXT = {"", "na", "n/a", "nan", "null", "none", "-", "—", "缺失", "无"}


@dataclass(frozen=True)
class ItemSpec:
    scale: tuple[float, float] | None = None
    reverse: bool = False
    dont_know: tuple[Any, ...] = ()
    label: str | None = None


@dataclass
class PreparedData:
    frame: pd.DataFrame  # numeric, reverse-coded, no missing values, index = original rows
    sample_weights: np.ndarray | None
    report: dict[str, Any] = field(default_factory=dict)


def clean_header(name: Any) -> str:
    """Column and item names compared as people read them: text, NFKC-normalised (full-width
    letters and the ideographic space become ordinary ones), without surrounding blanks."""
    return unicodedata.normalize("NFKC", str(name)).strip()


def _dont_know_mask(column: pd.Series, codes: Sequence[Any]) -> pd.Series:
    """Vectorised: numeric codes match numbers and numeric text, text codes match text."""
    if not codes:
        return pd.Series(False, index=column.index)
    numeric_codes = []
    for code in codes:
        try:
            numeric_codes.append(float(code))
        except (TypeError, ValueError):
            continue
    text_codes = {str(code).strip() for code in codes if isinstance(code, str)}
    mask = pd.Series(False, index=column.index)
    if numeric_codes:
        mask |= pd.to_numeric(column, errors="coerce").isin(numeric_codes)
    if text_codes and column.dtype == object:
        mask |= column.map(lambda v: isinstance(v, str) and v.strip() in text_codes)
    return mask


def _numeric_column(column: pd.Series, item: str, codes: Sequence[Any]) -> tuple[pd.Series, int]:
    """The column as floats with don't-know codes as NaN; refuses text that is no number."""
    dont_know = _dont_know_mask(column, codes)
    values = column.mask(dont_know)
    if values.dtype == object:
        text = values.map(lambda v: v.strip() if isinstance(v, str) else v)
        text = text.map(lambda v: np.nan if isinstance(v, str) and v.lower() in EMPTY_TEXT else v)
        text = text.map(lambda v: _fullwidth_to_ascii(v) if isinstance(v, str) else v)
        numbers = pd.to_numeric(text, errors="coerce")
        bad = text.notna() & numbers.isna()
        if bad.any():
            row = bad.idxmax()
            raise PLSError(
                f"{item!r} row {_row(row)}: {column[row]!r} is not a number "
                "(declare it as a don't-know code if it means no answer)",
                zh=f"题项“{item}”第 {_row(row)} 行的值“{column[row]}”不是数字"
                "（如果它表示“不知道”，请把它声明为不知道代码）",
            )
        values = numbers
    return values.astype(float), int(dont_know.sum())


def _fullwidth_to_ascii(text: str) -> str:
    return "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in text)


def _row(label: Any) -> str:
    """Rows as the analyst sees them in a spreadsheet: header on row 1."""
    return str(label + 2) if isinstance(label, (int, np.integer)) else str(label)


def prepare(
    data: pd.DataFrame,
    items: Sequence[str],
    specs: Mapping[str, ItemSpec],
    *,
    missing: MissingTreatment = "casewise",
    weights_column: str | None = None,
) -> PreparedData:
    """Clean the model's items; the report records every change made to the data."""
    if missing not in MISSING_TREATMENTS:
        raise PLSError(
            f"unknown missing-value treatment {missing!r} (use casewise or mean)",
            zh=f"未知的缺失值处理方式 {missing!r}（应为 casewise 或 mean）",
        )
    absent = [item for item in items if item not in data.columns]
    if absent:
        raise PLSError(
            f"columns not in the data: {', '.join(map(str, absent))}",
            zh=f"数据中没有这些列：{'、'.join(map(str, absent))}",
        )
    data = data.reset_index(drop=True)
    columns: dict[str, pd.Series] = {}
    per_item: dict[str, dict[str, Any]] = {}
    for item in items:
        spec = specs.get(item, ItemSpec())
        values, dont_know = _numeric_column(data[item], item, spec.dont_know)
        if spec.scale is not None:
            low, high = spec.scale
            outside = values[(values < low) | (values > high)]
            if len(outside):
                row = outside.index[0]
                raise PLSError(
                    f"{item!r} has {len(outside)} answers outside its scale {low:g}-{high:g} "
                    f"(first: {outside.iloc[0]:g} on row {_row(row)})",
                    zh=f"题项“{item}”有 {len(outside)} 个回答超出量表 {low:g}-{high:g}"
                    f"（第一个在第 {_row(row)} 行：{outside.iloc[0]:g}）",
                )
            if spec.reverse:
                values = low + high - values
        elif spec.reverse:
            raise PLSError(
                f"{item!r} is reverse-coded but has no scale to reverse it on",
                zh=f"题项“{item}”声明为反向计分，但没有声明量表",
            )
        columns[item] = values
        per_item[item] = {
            "dont_know": dont_know,
            "missing": int(values.isna().sum()) - dont_know,
            "reversed": spec.reverse,
        }
    frame = pd.DataFrame(columns)
    n_input = len(frame)
    blank = frame.isna().all(axis=1)  # respondents who answered none of the model's items
    frame = frame[~blank]
    empty = [item for item in items if frame[item].isna().all()]
    if empty:
        raise PLSError(
            f"{', '.join(map(str, empty))}: no answers at all (only blanks or don't-know codes)",
            zh=f"{'、'.join(map(str, empty))}：没有任何有效回答（只有空白或“不知道”）",
        )
    weights = None
    if weights_column:
        if weights_column not in data.columns:
            raise PLSError(
                f"weight column {weights_column!r} is not in the data",
                zh=f"数据中没有权重列“{weights_column}”",
            )
        weights = pd.to_numeric(data[weights_column], errors="coerce")[~blank]
    incomplete = frame.isna().any(axis=1)
    replaced = 0
    if missing == "casewise":
        frame = frame[~incomplete]
        if weights is not None:
            weights = weights[~incomplete]
    sample_weights = None
    if weights is not None:
        bad = weights.isna() | (weights < 0)
        if bad.any():
            row = bad.idxmax()
            shown = str(data[weights_column][row])
            raise PLSError(
                f"weight on row {_row(row)} is {shown!r}; weights must be non-negative numbers",
                zh=f"第 {_row(row)} 行的权重为“{shown}”；权重必须是非负数",
            )
        sample_weights = weights.to_numpy(dtype=float)
    if missing == "mean":
        for item in items:
            gaps = frame[item].isna()
            if gaps.all():
                raise PLSError(
                    f"{item!r} has no answers at all", zh=f"题项“{item}”没有任何有效回答"
                )
            if gaps.any():
                if sample_weights is None:
                    fill = frame[item].mean()
                else:
                    known = ~gaps.to_numpy()
                    fill = float(np.average(frame[item][known], weights=sample_weights[known]))
                frame.loc[gaps, item] = fill
                per_item[item]["replaced"] = int(gaps.sum())
                replaced += int(gaps.sum())
    report = {
        "n_input": n_input,
        "n_used": len(frame),
        "blank_cases": int(blank.sum()),
        "incomplete_cases": int(incomplete.sum()),
        "dropped_cases": n_input - len(frame),
        "replaced_values": replaced,
        "missing_treatment": missing,
        "weights_column": weights_column,
        "items": per_item,
    }
    constant = [item for item in items if len(frame) and frame[item].nunique() <= 1]
    if constant:
        raise PLSError(
            f"items without variance cannot be used: {', '.join(map(str, constant))}",
            zh=f"这些题项的回答全都相同（方差为零），无法使用：{'、'.join(map(str, constant))}",
        )
    return PreparedData(frame=frame, sample_weights=sample_weights, report=report)


def read_bytes(content: bytes, filename: str) -> pd.DataFrame:
    """A table from an uploaded file's bytes; the file name's extension says the format.
    Headers become clean text; rows with nothing in them (Excel's formatted blank rows)
    and columns with no header and no data are dropped."""
    frame, header = _read_bytes(content, filename)
    written = [clean_header(c) for c in header if not pd.isna(c)]
    duplicated = sorted({c for c in written if written.count(c) > 1})
    frame.columns = [clean_header(c) for c in frame.columns]
    unnamed = [c for c in frame.columns if c.startswith("Unnamed: ") and frame[c].isna().all()]
    frame = frame.drop(columns=unnamed).dropna(how="all").reset_index(drop=True)
    duplicated = sorted(
        set(duplicated) | {c for c in frame.columns if list(frame.columns).count(c) > 1}
    )
    if duplicated:
        raise PLSError(
            f"{filename}: the columns {', '.join(duplicated)} appear more than once",
            zh=f"{filename}：这些列名重复出现：{'、'.join(duplicated)}",
        )
    return frame


def _read_bytes(content: bytes, filename: str) -> tuple[pd.DataFrame, list[Any]]:
    """The table and its header row as written (pandas renames repeated names to q1.1)."""
    import io

    lower = filename.lower()
    try:
        if lower.endswith((".xlsx", ".xlsm", ".xls")):
            engine = "xlrd" if lower.endswith(".xls") else "openpyxl"
            frame = pd.read_excel(io.BytesIO(content), engine=engine)
            header = pd.read_excel(io.BytesIO(content), engine=engine, header=None, nrows=1)
            return frame, list(header.iloc[0]) if len(header) else []
        if not lower.endswith((".csv", ".txt")):
            raise PLSError(
                f"{filename}: use a CSV or Excel file (.csv, .xlsx, .xls)",
                zh=f"{filename}：请使用 CSV 或 Excel 文件（.csv、.xlsx、.xls）",
            )
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                frame = pd.read_csv(io.BytesIO(content), encoding=encoding)
                header = pd.read_csv(io.BytesIO(content), encoding=encoding, header=None, nrows=1)
                return frame, list(header.iloc[0]) if len(header) else []
            except UnicodeDecodeError:
                continue
    except PLSError:
        raise
    except Exception as error:  # a damaged or mislabelled file: say so, do not crash
        raise PLSError(
            f"{filename} cannot be read: {error}", zh=f"无法读取文件 {filename}：{error}"
        ) from None
    raise PLSError(
        f"{filename} is neither UTF-8 nor GB18030 text",
        zh=f"{filename} 既不是 UTF-8 也不是 GB18030 编码",
    )


def read_table(path: str | Path) -> pd.DataFrame:
    """A CSV (UTF-8 with or without BOM, or GB18030 as Chinese Excel saves it) or a workbook."""
    try:
        content = Path(path).read_bytes()
    except OSError as error:
        raise PLSError(
            f"{path} cannot be read: {error.strerror or error}",
            zh=f"无法读取 {path}：{error.strerror or error}",
        ) from None
    return read_bytes(content, Path(path).name)
