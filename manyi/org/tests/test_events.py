"""Organisation actions announce themselves with typed events."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from manyi.core.events import subscribed
from manyi.org import actions
from manyi.org.events import StaffCreated, StaffUpdated
from manyi.org.models import Staff
from manyi.org.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_and_update_emit_events(org):
    created, updated = [], []
    with (
        subscribed(StaffCreated, lambda e, m: created.append((e, m))),
        subscribed(StaffUpdated, lambda e, m: updated.append(e), inline=True),
    ):
        staff = actions.create_staff(
            org.admin, username="wangfang", name="王芳", role=Role.AGENT, branches=[org.a2]
        )
        actions.update_staff(org.admin, staff, name="王芳芳")
        actions.update_staff(org.admin, staff, name="王芳芳")  # no change: no event
    event, meta = created[0]
    assert event == StaffCreated(staff_id=staff.pk, role="agent", branch_ids=[org.a2.pk])
    assert meta.actor_id == org.admin.pk
    assert updated == [StaffUpdated(staff_id=staff.pk, changed=["name"])]


def test_a_refused_action_emits_nothing_and_writes_nothing(org):
    received = []
    with (
        subscribed(StaffUpdated, lambda e, m: received.append(e)),
        pytest.raises(PermissionDenied),  # agents do not manage staff
    ):
        actions.update_staff(org.agent_a1, Staff.objects.get(user=org.agent_b1), name="x")
    assert received == []
    assert Staff.objects.get(user=org.agent_b1).name == "员工agent_b1"
