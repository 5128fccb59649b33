"""Administration on our own pages: an administrator adds people, changes their role and
place, turns logins off and on, resets passwords, lifts lock-outs, makes and revokes API
tokens, and keeps the regions, branches and departments; every change is audited."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from conftest import PASSWORD
from manyi.org.models import ApiToken, AuditEntry, Branch, Department, Region, Staff

pytestmark = pytest.mark.django_db


def _new_person(client: Client, org, **overrides) -> object:
    data = {
        "username": "wangfang",
        "name": "王芳",
        "role": "supervisor",
        "scope": "branch",
        "branches": [org.a1.pk],
        "phone": "13812345678",
        "password": "Lanqiao-7395!",
        **overrides,
    }
    return client.post("/org/staff/new/", data)


def _can_log_in(username: str, password: str) -> bool:
    answer = Client().post("/login/", {"username": username, "password": password})
    return answer.status_code == 302


def test_an_administrator_adds_a_supervisor_who_can_log_in(org, login):
    client = login(org.admin)
    assert "新增员工" in client.get("/org/staff/").content.decode()
    answer = _new_person(client, org)
    staff = Staff.objects.get(user__username="wangfang")
    assert answer.status_code == 302 and answer["Location"] == f"/org/staff/{staff.pk}/"
    assert staff.role == "supervisor" and list(staff.branches.all()) == [org.a1]
    assert _can_log_in("wangfang", "Lanqiao-7395!")
    entry = AuditEntry.objects.get(action="org.staff.create", object_id=str(staff.pk))
    assert entry.actor_id == org.admin.pk
    assert "Lanqiao-7395!" not in str(entry.after) and "13812345678" not in str(entry.after)


def test_a_made_up_first_password_is_shown_once_and_works(org, login):
    client = login(org.admin)
    answer = _new_person(client, org, password="")
    page = answer.content.decode()
    assert answer.status_code == 200 and "仅显示这一次" in page
    assert "no-store" in answer["Cache-Control"]
    password = re.search(r'id="secret"[^>]*>([^<]+)<', page).group(1)
    assert _can_log_in("wangfang", password)
    staff = Staff.objects.get(user__username="wangfang")
    assert password not in client.get(f"/org/staff/{staff.pk}/").content.decode()


def test_bad_input_is_told_in_chinese_and_keeps_what_was_typed(org, login):
    client = login(org.admin)
    taken = _new_person(client, org, username="agent_a1", name="重名者")
    page = taken.content.decode()
    assert "用户名 agent_a1 已被使用" in page and 'value="重名者"' in page
    no_branch = _new_person(client, org, branches=[])
    assert "请至少选择一个网点" in no_branch.content.decode()
    weak = _new_person(client, org, password="123")
    assert weak.status_code == 200 and "密码" in weak.content.decode()
    assert not Staff.objects.filter(name__in=["重名者", "王芳"]).exists()


def test_only_administrators_manage_people(org, login):
    for user in (org.manager, org.supervisor_a1, org.agent_a1):
        client = login(user)
        assert client.get("/org/staff/new/").status_code == 403
        assert _new_person(client, org).status_code == 403
        target = Staff.objects.get(user=org.agent_a2).pk
        assert client.post(f"/org/staff/{target}/active/", {"active": ""}).status_code == 403
        assert client.post(f"/org/staff/{target}/password/").status_code == 403
        assert client.get("/org/structure/").status_code == 403
        assert "新增员工" not in client.get("/org/staff/").content.decode()
    assert Staff.objects.get(user=org.agent_a2).user.is_active


def test_changing_role_and_branches_keeps_the_phone_unseen(org, login):
    client = login(org.admin)
    staff = Staff.objects.get(user=org.agent_a1)
    form = client.get(f"/org/staff/{staff.pk}/edit/").content.decode()
    assert "13900001111" not in form  # the number is never in the form
    answer = client.post(
        f"/org/staff/{staff.pk}/edit/",
        {
            "version": staff.version,
            "name": staff.name,
            "initial-name": staff.name,
            "role": "supervisor",
            "initial-role": "agent",
            "scope": "branch",
            "initial-scope": "branch",
            "branches": [org.a1.pk, org.a2.pk],
            "initial-branches": [org.a1.pk],
            "new_phone": "",
        },
    )
    assert answer.status_code == 302
    staff.refresh_from_db()
    assert staff.role == "supervisor" and staff.phone == "13900001111"
    assert set(staff.branches.all()) == {org.a1, org.a2}
    entry = AuditEntry.objects.filter(action="org.staff.update").latest("at")
    assert entry.after["role"] == "supervisor"


def test_an_edit_made_on_an_old_page_does_not_overwrite_a_newer_one(org, login):
    from manyi.org.actions import update_staff

    staff = Staff.objects.get(user=org.agent_a1)
    seen = staff.version
    update_staff(org.admin, staff, role="supervisor")
    answer = login(org.admin).post(
        f"/org/staff/{staff.pk}/edit/",
        {
            "version": seen,
            "name": staff.name,
            "initial-name": staff.name,
            "role": "manager",
            "initial-role": "agent",
            "scope": "branch",
            "initial-scope": "branch",
            "branches": [org.a1.pk],
            "initial-branches": [org.a1.pk],
        },
    )
    page = answer.content.decode()
    assert answer.status_code == 200 and "别人修改了角色" in page, page[page.find("<main") :][:3000]
    assert Staff.objects.get(pk=staff.pk).role == "supervisor"


def test_a_login_turned_off_ends_sessions_and_tokens(org, login):
    from manyi.org.actions import SYSTEM, create_api_token

    person = Client()
    person.force_login(org.agent_a1, backend="django.contrib.auth.backends.ModelBackend")
    assert person.get("/customers/").status_code == 200
    raw = create_api_token(SYSTEM, org.agent_a1, name="外呼系统")[1]
    token_client = Client(headers={"Authorization": f"Bearer {raw}"})
    assert token_client.get("/api/v1/org/me").status_code == 200
    staff = Staff.objects.get(user=org.agent_a1)
    admin = login(org.admin)
    answer = admin.post(f"/org/staff/{staff.pk}/active/", {"active": "", "reason": "离职"})
    assert answer.status_code == 302
    assert "已不能登录" in admin.get(answer["Location"]).content.decode()
    assert person.get("/customers/").status_code == 302  # back to the login page
    assert token_client.get("/api/v1/org/me").status_code == 401
    assert not _can_log_in("agent_a1", PASSWORD)
    entry = AuditEntry.objects.get(action="org.staff.deactivate")
    assert entry.note == "离职"
    admin.post(f"/org/staff/{staff.pk}/active/", {"active": "on"})
    assert _can_log_in("agent_a1", PASSWORD)
    assert AuditEntry.objects.filter(action="org.staff.reactivate").count() == 1


def test_an_administrator_cannot_turn_off_their_own_login(org, login):
    client = login(org.admin)
    mine = Staff.objects.get(user=org.admin)
    assert 'id="active-form"' not in client.get(f"/org/staff/{mine.pk}/").content.decode()
    client.post(f"/org/staff/{mine.pk}/active/", {"active": ""})
    assert Staff.objects.get(user=org.admin).user.is_active


def test_a_reset_password_replaces_the_old_one(org, login):
    staff = Staff.objects.get(user=org.agent_a1)
    client = login(org.admin)
    answer = client.post(f"/org/staff/{staff.pk}/password/", {"password": ""})
    password = re.search(r'id="secret"[^>]*>([^<]+)<', answer.content.decode()).group(1)
    assert not _can_log_in("agent_a1", PASSWORD) and _can_log_in("agent_a1", password)
    client.post(f"/org/staff/{staff.pk}/password/", {"password": "Typed-pass-2026"})
    assert _can_log_in("agent_a1", "Typed-pass-2026")
    entries = AuditEntry.objects.filter(action="org.staff.password_reset").order_by("at")
    assert [e.after["generated"] for e in entries] == [True, False]
    assert all(password not in str(e.after) for e in entries)
    short = client.post(f"/org/staff/{staff.pk}/password/", {"password": "1"}, follow=True)
    assert _can_log_in("agent_a1", "Typed-pass-2026")  # a refused password changes nothing
    assert "密码" in short.content.decode()


def test_a_locked_out_person_is_unlocked_by_the_administrator(org, login, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/login/", {"username": "agent_a1", "password": "wrong"})
    assert not _can_log_in("agent_a1", PASSWORD)
    staff = Staff.objects.get(user=org.agent_a1)
    client = login(org.admin)
    page = client.get(f"/org/staff/{staff.pk}/").content.decode()
    assert "登录失败次数过多" in page and 'id="unlock-form"' in page
    client.post(f"/org/staff/{staff.pk}/unlock/")
    assert _can_log_in("agent_a1", PASSWORD)
    entry = AuditEntry.objects.get(action="org.staff.unlock")
    assert entry.after["attempts"] >= 1
    assert 'id="unlock-form"' not in client.get(f"/org/staff/{staff.pk}/").content.decode()


def test_an_api_token_is_shown_once_revoked_and_its_use_seen(org, login):
    staff = Staff.objects.get(user=org.agent_a1)
    client = login(org.admin)
    answer = client.post(f"/org/staff/{staff.pk}/tokens/", {"name": "呼叫中心"})
    raw = re.search(r'id="secret"[^>]*>([^<]+)<', answer.content.decode()).group(1)
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/org/me").json()["name"] == staff.name
    page = client.get(f"/org/staff/{staff.pk}/").content.decode()
    token = ApiToken.objects.get(user=org.agent_a1)
    assert raw not in page and token.prefix in page and "呼叫中心" in page
    assert token.last_used_at is not None
    client.post(f"/org/staff/{staff.pk}/tokens/{token.pk}/revoke/")
    assert api.get("/api/v1/org/me").status_code == 401
    assert "已吊销" in client.get(f"/org/staff/{staff.pk}/").content.decode()
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {"org.api_token.create", "org.api_token.revoke"} <= actions


def test_regions_branches_and_departments(org, login):
    client = login(org.admin)
    assert client.post("/org/regions/new/", {"code": "west", "name": "西部区"}).status_code == 302
    west = Region.objects.get(code="west")
    answer = client.post(
        "/org/branches/new/",
        {"region": west.pk, "code": "W1", "name": "成都支行", "city": "成都", "is_active": "on"},
    )
    assert answer.status_code == 302 and answer["Location"] == "/org/branches/W1/"
    branch = Branch.objects.get(code="W1")
    # The administrator's view reaches the new branch at once.
    assert "成都支行" in client.get("/org/branches/").content.decode()
    taken = client.post(
        "/org/branches/new/", {"region": west.pk, "code": "A1", "name": "重复", "city": "成都"}
    )
    assert "已有网点使用这个编号" in taken.content.decode()
    client.post(
        "/org/branches/W1/edit/",
        {"region": west.pk, "code": "W1", "name": "成都高新支行", "city": "成都"},
    )
    branch.refresh_from_db()
    assert branch.name == "成都高新支行" and not branch.is_active
    department = {"name": "成都支行客服部", "kind": "customer_service", "branch": branch.pk}
    assert client.post("/org/departments/new/", department).status_code == 302
    again = client.post("/org/departments/new/", {**department, "name": "第二个"})
    assert "已有这一类部门" in again.content.decode()
    assert Department.objects.filter(branch=branch).count() == 1
    page = client.get("/org/structure/").content.decode()
    assert "西部区" in page and "成都支行客服部" in page
    actions = list(AuditEntry.objects.values_list("action", flat=True))
    for action in ("org.region.create", "org.branch.create", "org.branch.update"):
        assert action in actions
    assert "org.department.create" in actions


def test_administration_entries_read_in_words(org, login):
    from manyi.org import actions, audit

    staff = Staff.objects.get(user=org.agent_a1)
    actions.set_staff_active(org.admin, staff, active=False, reason="停职")
    actions.reset_password(org.admin, staff)
    rows = audit.readable(AuditEntry.objects.filter(object_id=str(staff.pk))[:5])
    text = (
        " ".join(f"{row.action} {row.details}" for row in rows)
        + AuditEntry.objects.get(action="org.staff.deactivate").note
    )
    assert "密码已重置" in text and "登录已停用" in text and "停职" in text


def test_saving_again_after_a_conflict_keeps_the_colleagues_other_changes(org, login):
    """The person's own change wins on the second save; what the colleague changed in the
    fields the person did not touch stays (the page shows it, it is not sent back old)."""
    from manyi.org.actions import update_staff

    staff = Staff.objects.get(user=org.agent_a1)
    seen, old_name = staff.version, staff.name
    update_staff(org.admin, staff, role="supervisor", name="李四")  # the colleague, first
    client = login(org.admin)
    posted = {
        "version": seen,
        "name": old_name,
        "initial-name": old_name,
        "role": "manager",
        "initial-role": "agent",
        "scope": "branch",
        "initial-scope": "branch",
        "branches": [org.a1.pk],
        "initial-branches": [org.a1.pk],
    }
    conflict = client.post(f"/org/staff/{staff.pk}/edit/", posted)
    assert "别人修改了角色" in conflict.content.decode()
    again = conflict.context["form"].data  # the page as shown, saved again unchanged
    assert again["name"] == "李四" and again["role"] == "manager"
    assert client.post(f"/org/staff/{staff.pk}/edit/", again).status_code == 302
    staff.refresh_from_db()
    assert staff.role == "manager" and staff.name == "李四"
