"""Every page as every role, in Chinese: no English words or code names, no link that leads
to a page the person may not open (issue 17, items 1 and 2)."""

from __future__ import annotations

import pytest

from tests.crawl.crawler import crawl, foreign_words, read_page, shape

pytestmark = pytest.mark.django_db


def _staff_user(role: str):
    from manyi.org.models import Staff

    staff = Staff.objects.filter(role=role, user__is_active=True).order_by("id").first()
    return staff.user


ROLES = [
    "admin",
    "manager",
    "supervisor",
    "agent",
    "analyst",
    "account_manager",
    "department_head",
]


def _skip(url: str) -> bool:
    # Django's own admin is replaced by our pages (item 3); the API answers JSON.
    return url.startswith(("/admin/", "/api/", "/static/", "/i18n/", "/logout/"))


def _xlsform(url: str) -> bool:
    return url.endswith("/xlsform/")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_speaks_chinese_and_every_link_opens(demo_site, client, role):
    user = _staff_user(role)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    result = crawl(client.get, ["/"], skip=_skip, file_format=_xlsform)
    report = "\n".join(str(f) for f in result.findings)
    assert result.pages > 10, result.visited
    assert not result.findings, f"{len(result.findings)} findings as {role}:\n{report}"


def test_the_crawler_finds_english_and_code_names():
    texts, links = read_page(
        '<p title="Parent">等待<b>Waiting</b></p><script>var x = "Hidden";</script>'
        '<a href="/tickets/5/?tab=mine">工单 T-2026-0001 SH01</a>'
        "<td>customers.export {'rows': 395}</td><input type=submit value=Save>"
        '<span translate="no">bank_branch.xlsx <i>x</i></span><textarea>typed</textarea>'
        "<p>Shown<br>again</p>"
    )
    words = [w for text in texts for w in foreign_words(text)]
    assert words == ["Parent", "Waiting", "customers.export", "rows", "Save", "Shown", "again"]
    assert links == ["/tickets/5/?tab=mine"]
    assert foreign_words("邮箱 z***@example.com，API 与 NPS") == []
    assert shape("/tickets/123/?tab=mine&page=2") == "/tickets/N/?page&tab"
    # A token with runs of digits keeps its shape (CI once saw a kiosk key shortened
    # below the token length by its digits and counted as a new page).
    assert shape("/q/kiosk/NB12K_Hgp345UmMNrNQ6NCg/") == "/q/kiosk/T/"
    assert shape("/s/abcdefghijklmnopqrstuvwxyz") == "/s/T"


def test_the_customers_pages_speak_chinese(demo_site, client):
    """What a customer sees without logging in: the kiosk, the door's QR page, the status
    page of their number, the board in the hall, and a survey link."""
    from manyi.org.actions import SYSTEM
    from manyi.org.models import Branch
    from manyi.queues.config import settings_for
    from manyi.queues.models import ServiceType
    from manyi.surveys.actions import create_link
    from manyi.surveys.models import Questionnaire

    branch = Branch.objects.filter(code="SH01").get()
    settings = settings_for(branch)
    service = ServiceType.objects.filter(branch=branch, active=True).order_by("id").first()
    taken = client.post(f"/q/door/{settings.door_key}/", {"service": service.prefix})
    assert taken.status_code == 302, taken.content.decode()[:500]
    start = [
        f"/q/kiosk/{settings.kiosk_key}/",
        f"/q/door/{settings.door_key}/",
        f"/q/board/{settings.board_key}/",
        taken["Location"],
    ]
    for questionnaire in Questionnaire.objects.all():
        _link, token = create_link(SYSTEM, questionnaire)
        start.append(f"/s/{token}/")
    result = crawl(client.get, start, skip=_skip, per_shape=5)
    report = "\n".join(str(f) for f in result.findings)
    assert result.pages >= len(start), result.visited
    assert not result.findings, report


def test_error_pages_speak_chinese(demo_site, client):
    from django.test import Client
    from django.views.defaults import server_error

    client.force_login(_staff_user("agent"), backend="django.contrib.auth.backends.ModelBackend")
    shown = {
        404: client.get("/no-such-page/"),
        403: client.get("/queues/stats/"),
    }
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(_staff_user("agent"), backend="django.contrib.auth.backends.ModelBackend")
    shown["csrf"] = strict.post("/notifications/settings/", {})
    from django.test import RequestFactory

    shown[500] = server_error(RequestFactory().get("/"))
    for kind, response in shown.items():
        expected = 403 if kind == "csrf" else kind
        assert response.status_code == expected, kind
        texts, _links = read_page(response.content.decode())
        assert any("\u4e00" <= ch <= "\u9fff" for text in texts for ch in text), kind
        words = [w for text in texts for w in foreign_words(text)]
        assert not words, (kind, words)
    assert "表单已过期" in shown["csrf"].content.decode()
    assert "您无权打开此页面" in shown[403].content.decode()
