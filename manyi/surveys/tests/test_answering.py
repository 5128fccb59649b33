"""A questionnaire from XLSForm, a link, and the server as the final judge of answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from manyi.analytics.tests.test_xlsform import SURVEY, workbook
from manyi.core.models import EventRecord
from manyi.customers import actions as customer_actions
from manyi.customers.models import TimelineEntry
from manyi.org.actions import SYSTEM
from manyi.surveys.models import Response

pytestmark = pytest.mark.django_db


def upload(client, api_client, path: Path):
    with path.open("rb") as handle:
        data = {"file": SimpleUploadedFile(path.name, handle.read())}
    return client.post("/api/v1/surveys/questionnaires", data, headers=api_client.headers)


def test_import_link_answer_and_the_server_as_judge(api, org, client, tmp_path):
    analyst = api(org.analyst)
    imported = upload(client, analyst, workbook(tmp_path / "after_sales.xlsx"))
    assert imported.status_code == 201, imported.json()
    assert imported.json() | {"questions": 8} == {
        "code": "after_sales",
        "title": "售后满意度",
        "version": 1,
        "questions": 8,
        "unsupported": ["where: question type “geopoint”"],
    }
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="陈静")
    agent = api(org.agent_a1)
    link = agent.post(
        "/surveys/questionnaires/after_sales/links", {"customer_id": customer.pk, "channel": "sms"}
    )
    assert link.status_code == 201, link.json()
    token = link.json()["token"]
    assert link.json()["url"].endswith(f"/s/{token}/")

    public = api(None)
    shown = public.get(f"/surveys/s/{token}").json()
    assert shown["language"] == "zh" and shown["version"] == 1
    assert [q["name"] for q in shown["definition"]["questions"]][:2] == ["visited", "sat"]

    # A shown question breaking its constraint: refused with the author's message.
    refused = public.post(
        f"/surveys/s/{token}/responses",
        {"answers": {"visited": "yes", "sat": "7"}, "submission_key": "k-000001", "language": "zh"},
    )
    assert refused.status_code == 422
    assert refused.json()["problems"] == [
        {"question": "sat", "label": "满意度（1-5）", "code": "constraint", "message": "请填 1-5"}
    ]
    assert Response.objects.count() == 0

    # A skipped required question may stay empty; answers to skipped ones are dropped.
    body = {
        "answers": {"visited": "no", "sat": "3", "why_not": "太远"},
        "submission_key": "k-000002",
        "language": "zh",
    }
    stored = public.post(f"/surveys/s/{token}/responses", body)
    assert stored.status_code == 201, stored.json()
    again = public.post(f"/surveys/s/{token}/responses", body)  # a retried submit
    assert again.status_code == 200 and again.json() == {
        "id": stored.json()["id"],
        "created": False,
    }
    response = Response.objects.get()
    assert response.values == {"visited": "no", "why_not": "太远"}
    assert response.customer == customer and response.branch == org.a1
    assert response.version.number == 1

    # A single-use link takes no second, different response.
    other = public.post(
        f"/surveys/s/{token}/responses",
        {"answers": {"visited": "no", "why_not": "忙"}, "submission_key": "k-000003"},
    )
    assert other.status_code == 410
    assert public.get("/surveys/s/not-a-token").status_code == 404

    # The answer is on the customer's card and announced to whoever listens.
    assert TimelineEntry.objects.filter(customer=customer, kind="survey").exists()
    assert EventRecord.objects.filter(name="survey.answered").exists()

    # Editing an answered questionnaire makes version 2; the answer keeps version 1.
    changed = [row[:] for row in SURVEY]
    changed[3][2] = "总体满意度（1-5）"
    second = upload(client, analyst, workbook(tmp_path / "after_sales_2.xlsx", changed))
    assert second.json()["version"] == 2
    response.refresh_from_db()
    assert response.version.number == 1


def test_who_may_design_and_what_bad_files_get(api, org, client, tmp_path):
    bad = tmp_path / "notes.xlsx"
    bad.write_bytes(b"not a workbook")
    assert upload(client, api(org.agent_a1), workbook(tmp_path / "f.xlsx")).status_code == 403
    refused = upload(client, api(org.analyst), bad)
    assert refused.status_code == 400 and refused.json()["message"]
    txt = tmp_path / "form.txt"
    txt.write_text("type,name")
    assert upload(client, api(org.analyst), txt).status_code == 400


def test_drafts_resume_on_a_personal_link_and_never_on_a_shared_one(api, org, client, tmp_path):
    upload(client, api(org.analyst), workbook(tmp_path / "after_sales.xlsx"))
    links = api(org.agent_a1)
    personal = links.post("/surveys/questionnaires/after_sales/links", {"channel": "sms"})
    token = personal.json()["token"]
    public = api(None)
    saved = public.put(f"/surveys/s/{token}/draft", {"answers": {"visited": "yes"}})
    assert saved.status_code == 200
    assert public.get(f"/surveys/s/{token}").json()["draft"] == {"visited": "yes"}
    shared = links.post(
        "/surveys/questionnaires/after_sales/links", {"single_use": False, "channel": "qr"}
    ).json()["token"]
    refused = public.put(f"/surveys/s/{shared}/draft", {"answers": {"visited": "no"}})
    assert refused.status_code == 400 and "设备" in refused.json()["message"]
    # the next person scanning the QR code sees nothing of anyone's unfinished answers
    assert public.get(f"/surveys/s/{shared}").json()["draft"] == {}
