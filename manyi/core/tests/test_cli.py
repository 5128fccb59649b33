"""The `manyi` console command."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from manyi.core.demo import run_demo
from manyi.org.models import Branch, Staff


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_token_create_prints_a_working_token(org, client):
    raw = run("token", "create", "agent_a1").strip()
    response = client.get("/api/v1/org/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200 and response.json()["username"] == "agent_a1"
    assert raw[:10] in run("token", "list", "agent_a1")
    with pytest.raises(CommandError, match="No user"):
        run("token", "create", "nobody")


def test_user_create(org, client):
    out = run(
        "user",
        "create",
        "lisi",
        "--role",
        "agent",
        "--branch",
        "A2",
        "--password",
        "Lisi-pass-2026",
    )
    assert "lisi" in out
    staff = Staff.objects.get(user__username="lisi")
    assert staff.role == "agent" and list(staff.branches.all()) == [org.a2]
    login = client.post("/login/", {"username": "lisi", "password": "Lisi-pass-2026"})
    assert login.status_code == 302
    with pytest.raises(CommandError, match="Unknown branch"):
        run("user", "create", "wangwu", "--role", "agent", "--branch", "ZZ9")
    with pytest.raises(CommandError, match="lisi"):
        run("user", "create", "lisi", "--role", "agent", "--branch", "A2")
    with pytest.raises(CommandError, match=r"至少需要一个网点|needs at least one branch"):
        run("user", "create", "zhaoliu", "--role", "agent")


@pytest.mark.django_db
def test_demo_is_deterministic_and_realistic():
    def snapshot(seed: int):
        with transaction.atomic():
            ctx = run_demo(
                seed=seed,
                log=lambda line: None,
                overrides={"customers": 200, "tickets": 30, "survey_responses": 20},
            )
            rows = list(
                Staff.objects.order_by("employee_no").values_list(
                    "name", "role", "phone", "user__username"
                )
            )
            branches = Branch.objects.count()
            from manyi.customers.models import Customer, Segment

            assert Customer.objects.count() == 200
            assert Segment.objects.exclude(strategy="").count() == 4
            from manyi.tickets.models import ReasonCode

            assert ReasonCode.objects.filter(parent__isnull=False).count() == 11
            transaction.set_rollback(True)
        return rows, branches, ctx.logins

    first, branches, logins = snapshot(7)
    again, _, _ = snapshot(7)
    other, _, _ = snapshot(8)
    assert first == again
    assert first != other
    assert branches == 12
    assert 55 <= len(first) <= 80
    assert {role for _n, role, _p, _u in first} == {
        "agent",
        "account_manager",
        "supervisor",
        "department_head",
        "manager",
        "analyst",
        "admin",
    }
    assert all("\u4e00" <= name[0] <= "\u9fff" for name, *_ in first)  # Chinese names
    assert {"admin", "manager", "agent", "supervisor"} <= {u for u, _p, _w in logins}


@pytest.mark.django_db
def test_demo_refuses_a_database_with_data(org):
    with pytest.raises(CommandError, match="already has data"):
        run("demo")
    assert "not loaded" in run("demo", "--if-empty")


@pytest.mark.django_db
def test_check_reports_the_configuration():
    out = run("check")
    assert "database reachable" in out
    assert "migrations applied" in out
    assert "periodic jobs scheduled" in out
    assert "no official holidays for 2027" in out  # the package stops at 2026


def test_console_script_runs_django_commands():
    result = subprocess.run(
        [sys.executable, "-m", "manyi.cli", "help", "token"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "token create" in result.stdout
