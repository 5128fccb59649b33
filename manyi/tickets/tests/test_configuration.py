"""The configuration pages: company-wide, audited, checked, and in force at once."""

from __future__ import annotations

import datetime as dt

import pytest

from manyi.customers import actions as customer_actions
from manyi.org.actions import SYSTEM
from manyi.org.models import AuditEntry
from manyi.tickets import actions, policy
from manyi.tickets.models import ApprovalRule, ReasonCode, SLAPolicy

pytestmark = pytest.mark.django_db


def test_a_manager_sets_an_sla_target_and_the_next_ticket_uses_it(login, org):
    client = login(org.manager)
    page = client.get("/tickets/configuration/")
    assert page.status_code == 200
    assert b'id="default-targets"' in page.content  # the built-in targets, shown as such
    customer = customer_actions.create_customer(SYSTEM, branch=org.a1, name="赵敏")

    def first_response_hours() -> float:
        ticket = actions.create_ticket(
            org.agent_a1, branch=org.a1, customer=customer, channel="phone", subject="咨询"
        )
        return (ticket.first_response_due - ticket.created_at).total_seconds() / 3600

    before = first_response_hours()  # warms every cache on the way
    response = client.post(
        "/tickets/configuration/sla/new/",
        {
            "name": "全部工单",
            "ticket_type": "",
            "priority": "",
            "first_response_minutes": 1,
            "same_day_reply": "on",
            "resolution_minutes": 600,
        },
    )
    assert response.status_code == 302, response.content.decode()
    assert SLAPolicy.objects.get().first_response_minutes == 1
    assert first_response_hours() < before  # no stale cache: in force at once
    assert AuditEntry.objects.filter(action="tickets.config.slapolicy.create").exists()


def test_bad_configuration_is_refused_with_a_reason_and_nothing_is_lost(login, org):
    client = login(org.manager)
    SLAPolicy.objects.create(name="投诉", first_response_minutes=60, resolution_minutes=900)
    refused = client.post(
        "/tickets/configuration/sla/new/",
        {"name": "错", "first_response_minutes": 120, "resolution_minutes": 60},
    )
    assert refused.status_code == 200
    assert "不能短于" in refused.content.decode() or "cannot be shorter" in refused.content.decode()
    assert SLAPolicy.objects.count() == 1
    # The approval ladder: a supervisor may not approve more than a department head.
    for role, rank, limit in (("supervisor", 2, 2000), ("department_head", 3, 20000)):
        actions.save_configuration(
            SYSTEM, ApprovalRule(role=role, rank=rank, max_amount=limit, max_severity=4)
        )
    supervisor = ApprovalRule.objects.get(role="supervisor")
    ladder = client.post(
        f"/tickets/configuration/approval/{supervisor.pk}/",
        {"role": "supervisor", "rank": 2, "max_amount": "50000", "max_severity": 3},
    )
    assert ladder.status_code == 200 and "errorlist" in ladder.content.decode()
    supervisor.refresh_from_db()
    assert supervisor.max_amount == 2000
    assert policy.required_approvals("agent", 3000, 1) == ["department_head"]


def test_reason_codes_grow_as_a_tree_and_are_deactivated_not_deleted(login, org):
    client = login(org.manager)
    root = ReasonCode.objects.create(code="S", name="服务")
    response = client.post(
        "/tickets/configuration/reason/new/",
        {"code": "S09", "name": "网点排队", "parent": root.pk, "active": "on"},
    )
    assert response.status_code == 302
    child = ReasonCode.objects.get(code="S09")
    assert child.parent == root
    assert "网点排队" in client.get("/tickets/configuration/").content.decode()
    gone = client.post(f"/tickets/configuration/reason/{child.pk}/delete/", follow=True)
    assert ReasonCode.objects.filter(code="S09").exists()
    assert "停用" in gone.content.decode() or "deactivate" in gone.content.decode()
    loop = client.post(
        f"/tickets/configuration/reason/{root.pk}/",
        {"code": "S", "name": "服务", "parent": child.pk, "active": "on"},
    )
    assert loop.status_code == 200
    root.refresh_from_db()
    assert root.parent is None


def test_only_company_wide_configurers_may_change_it(login, org):
    assert login(org.agent_a1).get("/tickets/configuration/").status_code == 403
    assert (
        login(org.regional_a)
        .post(
            "/tickets/configuration/settings/new/",
            {"repeat_window_days": 3, "follow_up_after_minutes": 60},
        )
        .status_code
        == 403
    )
    manager = login(org.manager)
    assert (
        manager.post(
            "/tickets/configuration/settings/new/",
            {"repeat_window_days": 3, "follow_up_after_minutes": 60},
        ).status_code
        == 302
    )
    from manyi.tickets.models import Settings

    assert Settings.current().repeat_window_days == 3
    assert dt.timedelta(days=Settings.current().repeat_window_days) == dt.timedelta(days=3)


def test_unlimited_levels_and_peers_make_a_valid_ladder_and_settings_are_not_deleted(login, org):
    from manyi.tickets.models import Settings

    for role, rank, limit in (
        ("agent", 1, 200),
        ("account_manager", 1, 300),
        ("supervisor", 2, 2000),
        ("department_head", 3, None),
        ("manager", 4, None),
    ):
        actions.save_configuration(
            SYSTEM, ApprovalRule(role=role, rank=rank, max_amount=limit, max_severity=4)
        )
    assert ApprovalRule.objects.count() == 5
    with pytest.raises(Exception, match=r"不能低于|at least"):
        actions.save_configuration(
            SYSTEM, ApprovalRule(role="admin", rank=5, max_amount=100, max_severity=4)
        )
    client = login(org.manager)
    Settings.objects.create(repeat_window_days=5)
    assert client.post("/tickets/configuration/settings/1/delete/").status_code == 404
    assert Settings.objects.count() == 1
