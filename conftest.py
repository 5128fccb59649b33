"""Shared fixtures: a small organisation, logins, API clients."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

# No timed assertions (the machines are shared and noisy, and make test runs its two halves
# side by side): Hypothesis's per-example deadline is off for the whole suite.
hypothesis_settings.register_profile("manyi", deadline=None)
hypothesis_settings.load_profile("manyi")

DB_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "live_server",
    "django_db_serialized_rollback",
}


def pytest_collection_modifyitems(config, items) -> None:
    """On the PostgreSQL pass (MANYI_DB_FACING_ONLY=1) run only tests that touch the
    database; the pure ones already ran on the SQLite pass."""
    if os.environ.get("MANYI_DB_FACING_ONLY") != "1":
        return
    keep, drop = [], []
    for item in items:
        uses_db = item.get_closest_marker("django_db") is not None or bool(
            DB_FIXTURES & set(getattr(item, "fixturenames", ()))
        )
        (keep if uses_db else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session", autouse=True)
def _flush_lifts_the_audit_triggers():
    """Tests that commit are cleaned up by `flush` (DELETE or TRUNCATE of every table),
    which the audit trail's triggers refuse: lift them for the flush only."""
    from django.core.management.commands import flush
    from django.db import connections

    from manyi.org.testing import audit_triggers_lifted

    original = flush.Command.handle

    def handle(self, **options):
        with audit_triggers_lifted(connections[options.get("database") or "default"]):
            return original(self, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(autouse=True)
def _fast_and_synchronous(settings, monkeypatch):
    """Fast password hashing, and tasks run in-process unless a test starts a real worker."""
    from django_q.conf import Conf

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Plain static names, whether or not `make run` has collected hashed files into var/.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    monkeypatch.setattr(Conf, "SYNC", True)
    # Rolled-back test data reuses primary keys: nothing cached may outlive its test.
    from manyi.core.configcache import clear_all

    clear_all()
    from django.core.cache import cache

    cache.clear()  # rate limits and other counts start afresh in every test


@dataclass
class Org:
    company: Any
    region_a: Any
    region_b: Any
    a1: Any
    a2: Any
    b1: Any
    admin: Any
    manager: Any
    regional_a: Any
    supervisor_a1: Any
    agent_a1: Any
    agent_a2: Any
    agent_b1: Any
    analyst: Any


PASSWORD = "Correct-Horse-9"


@pytest.fixture
def org(db) -> Org:
    from manyi.org.actions import SYSTEM, create_staff
    from manyi.org.models import Branch, Company, Region
    from manyi.org.roles import Role, Scope

    company = Company.objects.create(code="acme", name="测试公司")
    region_a = Region.objects.create(company=company, code="ra", name="华东区")
    region_b = Region.objects.create(company=company, code="rb", name="华北区")
    a1 = Branch.objects.create(region=region_a, code="A1", name="上海一支行", city="上海")
    a2 = Branch.objects.create(region=region_a, code="A2", name="杭州支行", city="杭州")
    b1 = Branch.objects.create(region=region_b, code="B1", name="北京支行", city="北京")

    def make(username, role, *, branches=(), regions=(), scope=None, phone="13812345678"):
        return create_staff(
            SYSTEM,
            username=username,
            name=f"员工{username}",
            role=role,
            branches=list(branches),
            regions=list(regions),
            scope=scope,
            phone=phone,
            id_number="110101199003071234",
            password=PASSWORD,
        ).user

    return Org(
        company=company,
        region_a=region_a,
        region_b=region_b,
        a1=a1,
        a2=a2,
        b1=b1,
        admin=make("admin", Role.ADMIN, scope=Scope.COMPANY),
        manager=make("boss", Role.MANAGER, scope=Scope.COMPANY),
        regional_a=make("regional", Role.MANAGER, regions=[region_a]),
        supervisor_a1=make("super", Role.SUPERVISOR, branches=[a1]),
        agent_a1=make("agent_a1", Role.AGENT, branches=[a1], phone="13900001111"),
        agent_a2=make("agent_a2", Role.AGENT, branches=[a2]),
        agent_b1=make("agent_b1", Role.AGENT, branches=[b1], phone="13722223333"),
        analyst=make("analyst", Role.ANALYST, scope=Scope.COMPANY),
    )


@pytest.fixture
def login(client):
    """login(user) -> the test client, logged in as that user."""

    def _login(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return _login


@pytest.fixture
def api(client):
    """api(user) -> a client whose requests carry a real bearer token for that user."""
    from manyi.org.actions import SYSTEM, create_api_token

    class ApiClient:
        def __init__(self, user):
            self.headers = {}
            if user is not None:
                _token, raw = create_api_token(SYSTEM, user)
                self.headers = {"Authorization": f"Bearer {raw}"}

        def _call(self, method, path, data=None, **kwargs):
            import json

            if data is not None:
                kwargs.update(data=json.dumps(data), content_type="application/json")
            headers = {**self.headers, **kwargs.pop("headers", {})}
            return getattr(client, method)(f"/api/v1{path}", headers=headers, **kwargs)

        def get(self, path, **kwargs):
            return self._call("get", path, **kwargs)

        def post(self, path, data=None, **kwargs):
            return self._call("post", path, data, **kwargs)

        def patch(self, path, data=None, **kwargs):
            return self._call("patch", path, data, **kwargs)

        def put(self, path, data=None, **kwargs):
            return self._call("put", path, data, **kwargs)

        def delete(self, path, **kwargs):
            return self._call("delete", path, **kwargs)

    return ApiClient
