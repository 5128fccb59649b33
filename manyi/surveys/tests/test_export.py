"""Responses out: CSV and Excel, codes or labels, the person's branches only, and the
satisfaction index's data source."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from manyi.analytics.tests.test_xlsform import workbook
from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.surveys import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def answered(org, tmp_path):
    path = workbook(tmp_path / "after_sales.xlsx")
    version, _ = actions.import_xlsform(SYSTEM, content=path.read_bytes(), file_name=path.name)
    questionnaire = version.questionnaire
    for n, answers in enumerate(
        [
            {"visited": "yes", "sat": "5", "items": "repair delivery", "nps": "10"},
            {"visited": "yes", "sat": "2", "comment": "等了两个小时", "nps": "3"},
            {"visited": "no", "why_not": "太远"},
        ]
    ):
        customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name=f"客户{n}")
        _link, token = actions.create_link(SYSTEM, questionnaire, customer=customer)
        actions.submit(token, answers, submission_key=f"export-{n:04d}")
    return questionnaire


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_csv_with_codes_and_with_labels(api, org, answered):
    client = api(org.analyst)
    codes = _csv(client.get("/surveys/questionnaires/after_sales/responses.csv"))
    header = codes[0]
    assert header[:9] == [
        "response",
        "submitted_at",
        "version",
        "channel",
        "branch",
        "customer",
        "tier",
        "agent",
        "campaign",
    ]
    assert header[9:] == [
        "visited",
        "sat",
        "items",
        "items_other",
        "score",
        "comment",
        "why_not",
        "nps",
    ]
    first = dict(zip(header, codes[1], strict=True))
    assert (
        first["items"] == "repair delivery" and first["score"] == "100" and first["branch"] == "A1"
    )
    assert dict(zip(header, codes[3], strict=True))["sat"] == ""  # skipped: empty
    labelled = _csv(client.get("/surveys/questionnaires/after_sales/responses.csv?labels=true"))
    row = dict(zip(labelled[0], labelled[1], strict=True))
    assert row["visited"] == "是" and row["items"] == "维修; 送货"
    english = _csv(
        client.get("/surveys/questionnaires/after_sales/responses.csv?labels=true&lang=en")
    )
    assert dict(zip(english[0], english[1], strict=True))["visited"] == "Yes"


def test_excel_and_scope(api, org, answered):
    response = api(org.analyst).get("/surveys/questionnaires/after_sales/responses.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet.max_row == 4 and sheet.cell(1, 10).value == "visited"
    assert (
        api(org.agent_a1).get("/surveys/questionnaires/after_sales/responses.csv").status_code
        == 403
    )
    supervisor_b = api(org.regional_a)  # region A: sees A1's answers
    assert len(_csv(supervisor_b.get("/surveys/questionnaires/after_sales/responses.csv"))) == 4


def test_the_satisfaction_index_reads_survey_responses(org, answered):
    from manyi.insight.data import load_frame
    from manyi.insight.models import Dataset

    dataset = Dataset(name="售后", source="survey", source_ref="after_sales")
    frame = load_frame(dataset)
    assert len(frame) == 3
    assert frame["sat"].dtype.kind == "f" and frame["sat"].tolist()[:2] == [5.0, 2.0]
    assert "nps" in frame.columns and not {"customer", "agent", "comment"} & set(frame.columns)
