"""The audit trail: written by every change and every unmasking, searchable, never editable."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from manyi.org import actions
from manyi.org.models import AuditEntry, Staff
from manyi.org.roles import Role


def test_a_change_writes_who_what_before_and_after(org):
    staff = Staff.objects.get(user=org.agent_a1)
    actions.update_staff(org.admin, staff, role=Role.SUPERVISOR, name="王芳")
    entry = AuditEntry.objects.filter(action="org.staff.update").get()
    assert entry.actor == org.admin
    assert "admin" in entry.actor_name
    assert entry.object_type == "org.staff" and entry.object_id == str(staff.pk)
    assert entry.before == {"name": "员工agent_a1", "role": "agent"}
    assert entry.after == {"name": "王芳", "role": "supervisor"}
    assert entry.branch_id == org.a1.pk


def test_unmasking_writes_an_entry(org, api):
    target = Staff.objects.get(user=org.agent_a1)
    response = api(org.supervisor_a1).post(
        f"/org/staff/{target.pk}/reveal", {"field": "phone", "reason": "回电客户"}
    )
    assert response.status_code == 200
    assert response.json() == {"field": "phone", "value": "13900001111"}
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.actor == org.supervisor_a1
    assert entry.object_id == str(target.pk)
    assert entry.after == {"field": "phone"}
    assert entry.note == "回电客户"


def test_the_trail_cannot_be_edited(org):
    actions.update_staff(org.admin, Staff.objects.get(user=org.agent_a1), name="李四")
    entry = AuditEntry.objects.first()
    entry.note = "tampered"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(note="tampered")
    # Even raw SQL is refused by the database trigger.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE org_auditentry SET note = 'tampered' WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_no_api_route_writes_the_trail(org, api):
    client = api(org.admin)
    entry_count = AuditEntry.objects.count()
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/audit")
        assert response.status_code in (404, 405)
        response = getattr(client, method)("/org/audit")
        assert response.status_code == 405
    assert AuditEntry.objects.count() == entry_count


def test_search_by_object_person_and_date(org, api, login):
    staff = Staff.objects.get(user=org.agent_a1)
    actions.update_staff(org.admin, staff, name="赵六")
    client = api(org.supervisor_a1)
    found = client.get(f"/org/audit?object_type=org.staff&object_id={staff.pk}").json()
    assert [e["action"] for e in found["items"]][:1] == ["org.staff.update"]
    by_person = client.get("/org/audit?actor=admin&action=org.staff.update").json()
    assert by_person["count"] == 1
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    assert client.get(f"/org/audit?since={today}&until={today}").json()["count"] >= 1
    assert client.get("/org/audit?until=2000-01-01").json()["count"] == 0
    page = login(org.supervisor_a1).get(f"/org/audit/?object_id={staff.pk}")
    assert page.status_code == 200 and "赵六" in page.content.decode()


def test_agents_cannot_read_the_trail_and_scope_applies(org, api, login):
    assert api(org.agent_a1).get("/org/audit").status_code == 403
    assert login(org.agent_a1).get("/org/audit/").status_code == 403
    actions.update_staff(org.admin, Staff.objects.get(user=org.agent_b1), name="北京改名")
    items = api(org.supervisor_a1).get("/org/audit?action=org.staff.update").json()["items"]
    assert items == []  # a change in branch B1 is outside the A1 supervisor's scope


def test_the_append_only_trigger_comes_back_after_a_table_rebuild(org):
    """A later migration that rebuilds the table on SQLite drops its triggers; migrate puts
    the audit trail's back."""
    from django.apps import apps
    from django.db.models.signals import post_migrate

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps triggers through ALTER TABLE")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER org_auditentry_append_only")
    post_migrate.send(sender=apps.get_app_config("org"), app_config=apps.get_app_config("org"))
    actions.update_staff(org.admin, Staff.objects.get(user=org.agent_a1), name="王五")
    entry = AuditEntry.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE org_auditentry SET note = 'tampered' WHERE id = %s", [entry.pk])


def _entry(org) -> AuditEntry:
    actions.update_staff(org.admin, Staff.objects.get(user=org.agent_a1), name="李四")
    return AuditEntry.objects.first()


def test_the_trail_cannot_be_deleted_through_the_orm(org):
    entry = _entry(org)
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk)._raw_delete(connection.alias)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_database_refuses_a_raw_delete(org):
    entry = _entry(org)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM org_auditentry WHERE id = %s", [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM org_auditentry")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_database_refuses_truncate(org):
    entry = _entry(org)
    if connection.vendor == "postgresql":
        statement = "TRUNCATE org_auditentry"
    else:  # SQLite has no TRUNCATE: its truncate optimisation is an unqualified DELETE
        statement = "DELETE FROM org_auditentry"
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE org_auditentry CASCADE")
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_triggers_survive_a_table_rebuild_on_sqlite(org):
    """SQLite drops triggers when a migration rebuilds a table; post_migrate puts them back."""
    from manyi.org.apps import _keep_the_trail_append_only

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL keeps triggers through ALTER TABLE")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER org_auditentry_no_delete")
        cursor.execute("DROP TRIGGER org_auditentry_append_only")
    _keep_the_trail_append_only(None)
    test_the_database_refuses_a_raw_delete(org)


def test_entries_carry_masked_names_and_the_branch_of_what_they_concern(org, api):
    """A reveal of a customer's phone is written with the customer's branch, and no entry
    spells out the phone (the supervisor who reads the trail may not see it)."""
    from manyi.customers import actions as customer_actions
    from manyi.org.actions import SYSTEM

    customer = customer_actions.create_customer(
        SYSTEM, branch=org.a1, name="钱七", contacts=[("phone", "15512345678")]
    )
    contact = customer.contacts.get()
    actions.reveal_personal_data(org.supervisor_a1, contact, "value", reason="回电")
    entry = AuditEntry.objects.get(action="pii.reveal")
    assert entry.branch_id == org.a1.pk
    assert "15512345678" not in entry.object_repr and "155****5678" in entry.object_repr
    assert not AuditEntry.objects.filter(object_repr__contains="15512345678").exists()
    found = api(org.supervisor_a1).get("/org/audit?action=pii.reveal").json()
    assert found["count"] == 1
