"""Inputs that answered 500 or printed a traceback: each now gets a clear 4xx."""

from __future__ import annotations

import contextlib

import pytest

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM

pytestmark = pytest.mark.django_db
HUGE = 2**70


@pytest.fixture
def customer(org):
    return customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="孙八", contacts=[("phone", "13700137000")]
    )


def _list_operations():
    """Every GET of the API that pages (has `limit` and `offset`)."""
    from manyi.api import api

    document = api.get_openapi_schema()
    for path, operations in document["paths"].items():
        get = operations.get("get")
        names = {p["name"] for p in (get or {}).get("parameters", [])}
        if {"limit", "offset"} <= names:
            yield path


def test_pages_are_bounded_on_every_list(org, api, customer):
    client = api(org.manager)
    paths = list(_list_operations())
    assert len(paths) >= 6
    for path in paths:
        url = path.replace("/api/v1", "").replace("{customer_id}", str(customer.pk))
        url = url.replace("{segment_id}", "1")
        for query in (f"limit={HUGE}", f"offset={HUGE}", "limit=201", "limit=0", "offset=-1"):
            answer = client.get(f"{url}?{query}")
            assert answer.status_code == 422, (url, query, answer.status_code)
    assert client.get("/customers?limit=200").status_code == 200


def test_numbers_beyond_64_bits_are_refused(org, api, customer):
    client = api(org.manager)
    assert client.get(f"/customers/{HUGE}").status_code == 422
    assert client.get(f"/tickets?assignee={HUGE}").status_code == 422


def test_patch_refuses_nulls_and_bodies_that_are_not_objects(org, api, customer):
    client = api(org.manager)
    assert client.patch(f"/customers/{customer.pk}", {"company_name": None}).status_code == 422
    for body in ([None], [None, None], "x"):
        assert client.patch(f"/customers/{customer.pk}", body).status_code == 422
    assert client.patch(f"/customers/{customer.pk}", {"company_name": "新公司"}).status_code == 200


def test_call_back_times_are_local_and_dates_are_modern(org, api, customer):
    client = api(org.manager)
    url = f"/customers/{customer.pk}"
    assert client.patch(url, {"callback_from": "09:00+08:00"}).status_code == 422
    answer = client.patch(url, {"callback_from": "09:00", "callback_until": "18:30"})
    assert answer.status_code == 200 and answer.json()["callback_from"] == "09:00:00"
    assert client.get(f"{url}/timeline?before=0452-01-01T00:00:00").status_code == 422
    assert client.get(f"{url}/timeline?before=2026-01-01").status_code == 200


def test_a_workflow_step_with_a_bad_number_is_refused(org, api, customer):
    client = api(org.manager)
    created = client.post(
        "/tickets",
        {"branch": "A1", "customer_id": customer.pk, "channel": "phone", "subject": "测试"},
    )
    assert created.status_code == 201
    ticket = created.json()["id"]
    for order_id in ("abc", HUGE, -1, 0):
        step = client.post(f"/tickets/{ticket}/actions/complete_order", {"order_id": order_id})
        assert step.status_code == 422, order_id  # the step's schema: a positive 64-bit id
        assert "order_id" in step.json()["message"]


def test_a_body_over_the_limit_is_413(org, api, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = {"answers": {"q": "长" * 2000}, "submission_key": "k" * 10}
    answer = api(None).post("/surveys/s/whatever/responses", big)
    assert answer.status_code == 413 and answer.json()["code"] == "too_large"
    page = client.post("/login/", {"username": "x" * 2000, "password": "y"})
    assert page.status_code == 413


def test_the_customer_page_reads_a_date_without_a_time_zone(org, login, customer):
    for before in ("2026-01-01", "2026-01-01T08:00", "2026-01-01T08:00+08:00", "nonsense"):
        page = login(org.manager).get(f"/customers/{customer.pk}/?before={before}")
        assert page.status_code == 200, before


def test_nul_characters_are_refused_everywhere(org, api, customer):
    """PostgreSQL cannot store a NUL: refused in bodies, queries and paths, on both engines."""
    client = api(org.manager)
    assert client.patch(f"/customers/{customer.pk}", {"name": "a\x00b"}).status_code == 422
    assert client.get("/customers?q=a%00b").status_code == 422
    assert client.get("/org/branches/A%001").status_code == 404
    assert client.get("/org/audit?actor=%00").status_code == 422


def _damaged_workbooks(count: int) -> list[bytes]:
    """A good workbook with random bytes overwritten (the second probe's bad files: one of
    them made the customer import answer 500)."""
    import io
    import random

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["姓名", "手机"])
    book.active.append(["张三", "13800138000"])
    good = io.BytesIO()
    book.save(good)
    import re
    import zipfile

    sheetless = io.BytesIO()  # the probe's case: a workbook part that lists no sheet
    with (
        zipfile.ZipFile(io.BytesIO(good.getvalue())) as source,
        zipfile.ZipFile(sheetless, "w") as target,
    ):
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                content = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", content)
            target.writestr(item, content)
    rng = random.Random(15)
    damaged = [sheetless.getvalue()]
    for _ in range(count):
        data = bytearray(good.getvalue())
        for _hit in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        damaged.append(bytes(data))
    return damaged


@pytest.mark.django_db
def test_damaged_workbooks_are_refused_with_a_reason_by_every_reader(org):
    from django.core.exceptions import ValidationError

    from manyi.analytics.pls import PLSError
    from manyi.analytics.survey import read_bytes
    from manyi.customers.importer import import_file
    from manyi.surveys import actions as survey_actions

    for data in _damaged_workbooks(120):
        with contextlib.suppress(ValidationError):
            import_file(SYSTEM, data, filename="客户.xlsx", branch=org.a1)
        with contextlib.suppress(ValidationError):
            survey_actions.import_xlsform(SYSTEM, content=data, file_name="问卷.xlsx")
        with contextlib.suppress(PLSError):
            read_bytes(data, "数据.xlsx")
