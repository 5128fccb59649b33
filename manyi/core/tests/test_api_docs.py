"""The API reference reads in the reader's language: every operation of the OpenAPI
document, with its purpose in words, its parameters, body and answers; Swagger's
interactive page stays beside it."""

from __future__ import annotations

import re

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.django_db
def test_every_operation_has_its_purpose_in_chinese(client):
    document = client.get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path)
        for path, spec in document["paths"].items()
        for method in spec
        if method in {"get", "post", "put", "patch", "delete"}
    }
    page = client.get("/api/v1/docs", headers={"Accept-Language": "zh-hans"})
    html = page.content.decode()
    assert page.status_code == 200 and "API 参考" in html
    articles = re.findall(
        r'<article class="card api-operation"[^>]*>\s*<h3><span class="tag" translate="no">'
        r"(\w+)</span> <code translate=\"no\">([^<]+)</code></h3>\s*<p>([^<]*)</p>",
        html,
    )
    assert {(method, path) for method, path, _summary in articles} == operations
    untranslated = [f"{m} {p}" for m, p, summary in articles if not CJK.search(summary)]
    assert not untranslated, "give these operations a summary=gettext_lazy(...) in Chinese"
    assert "在地址中" in html and "必填" in html  # the parameters
    assert "未找到，或不在此人所辖网点内" in html  # the answers every operation may give


@pytest.mark.django_db
def test_the_reference_in_english_and_the_interactive_page(client):
    english = client.get("/api/v1/docs", headers={"Accept-Language": "en"}).content.decode()
    assert "API reference" in english and "Register a contact or complaint" in english
    chinese = client.get("/api/v1/docs", headers={"Accept-Language": "zh-hans"}).content.decode()
    assert "/api/v1/docs/try" in chinese and "/api/v1/openapi.json" in chinese
    interactive = client.get("/api/v1/docs/try")
    assert interactive.status_code == 200 and b"swagger-ui" in interactive.content
