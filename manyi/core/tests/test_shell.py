"""The web shell: login, language, navigation, dashboard counts, CSRF, rate limit, health."""

from __future__ import annotations

import pytest
from django.test import Client

from conftest import PASSWORD


def test_login_page_is_chinese_by_default(db, client):
    page = client.get("/login/")
    assert page.status_code == 200
    assert "登录" in page.content.decode()
    assert page["Content-Language"] == "zh-hans"


def test_pages_need_a_login(db, client):
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_login_and_the_chinese_navigation(org, client):
    response = client.post("/login/", {"username": "agent_a1", "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert 'data-nav="org.branches"' in home
    assert "网点" in home and "员工" in home
    assert 'data-nav="org.audit"' not in home  # agents do not read the audit trail


def test_language_switch_to_english_and_back(org, login):
    client = login(org.supervisor_a1)
    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert switched.status_code == 302
    english = client.get("/").content.decode()
    assert "Branches" in english and "Audit trail" in english and "网点" not in english
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "审计日志" in client.get("/").content.decode()


def test_dashboard_counts_are_real_and_scoped(org, login):
    def card(client, key):
        import re

        html = client.get("/").content.decode()
        match = re.search(rf'data-card="{key}">\s*<span class="value">([\d,]+)</span>', html)
        return int(match.group(1).replace(",", ""))  # 20,000: thousands separated

    assert card(login(org.agent_a1), "org.branches") == 1
    assert card(login(org.agent_a1), "org.staff") == 2  # agent_a1 and the A1 supervisor
    assert card(login(org.regional_a), "org.branches") == 2
    assert card(login(org.manager), "org.branches") == 3


def test_figures_are_written_for_chinese_readers():
    from manyi.core.formats import duration, money
    from manyi.core.templatetags.manyi import minutes, thousands

    assert thousands(20000) == "20,000" and thousands(None) == ""
    assert money("3990800.5") == "¥3,990,800.50" and money(None) == "—"
    assert duration(356) == "5 分钟" and duration(45) == "45 秒"
    assert duration(5400) == "1 小时 30 分钟" and minutes(150) == "2 小时 30 分钟"
    assert duration(20, seconds_under_a_minute=False) == "1 分钟"


def test_forms_need_the_csrf_token(org):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/login/", {"username": "agent_a1", "password": PASSWORD})
    assert response.status_code == 403
    page = strict.get("/login/")
    token = page.cookies["csrftoken"].value
    ok = strict.post(
        "/login/", {"username": "agent_a1", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert ok.status_code == 302


def test_session_cookie_is_http_only(org, client):
    client.post("/login/", {"username": "agent_a1", "password": PASSWORD})
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"


def test_login_is_rate_limited(org, client):
    for _ in range(4):
        failed = client.post("/login/", {"username": "agent_a1", "password": "wrong"})
        assert failed.status_code == 200
    fifth = client.post("/login/", {"username": "agent_a1", "password": "wrong"})
    assert fifth.status_code == 429
    locked = client.post("/login/", {"username": "agent_a1", "password": PASSWORD})
    assert locked.status_code == 429
    assert "登录失败次数过多" in locked.content.decode()
    other = Client()  # another account is not locked
    assert other.post("/login/", {"username": "super", "password": PASSWORD}).status_code == 302


def test_times_are_shown_in_shanghai(org, login, settings):
    from django.utils import timezone

    assert settings.TIME_ZONE == "Asia/Shanghai"
    page = login(org.agent_a1).get("/").content.decode()
    assert timezone.localtime().strftime("%Y-%m-%d") in page


@pytest.mark.django_db
def test_healthz_reports_database_and_worker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True, "vendor": body["database"]["vendor"]}
    assert body["worker"]["ok"] is False  # no worker in this test
    assert body["status"] == "degraded"


@pytest.mark.django_db
def test_healthz_is_503_when_the_database_fails(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(self, sql, params=None):
        raise RuntimeError("database is down")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"]["ok"] is False
