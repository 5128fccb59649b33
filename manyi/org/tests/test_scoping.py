"""A branch agent sees only their branch; a regional manager their region; UI and API alike."""

from __future__ import annotations

import pytest

from manyi.org.models import Branch, Staff
from manyi.org.scoping import ALL_BRANCHES, visible_branch_ids


def staff_id(user) -> int:
    return Staff.objects.get(user=user).pk


def test_visible_branches_by_scope(org):
    assert visible_branch_ids(org.agent_a1) == {org.a1.pk}
    assert visible_branch_ids(org.regional_a) == {org.a1.pk, org.a2.pk}
    assert visible_branch_ids(org.manager) is ALL_BRANCHES
    assert set(Branch.objects.visible_to(org.agent_b1)) == {org.b1}


def test_agent_gets_404_for_another_branch_in_the_ui(org, login):
    client = login(org.agent_a1)
    assert client.get(f"/org/staff/{staff_id(org.agent_a1)}/").status_code == 200
    assert client.get(f"/org/staff/{staff_id(org.supervisor_a1)}/").status_code == 200
    assert client.get(f"/org/staff/{staff_id(org.agent_b1)}/").status_code == 404
    assert client.get("/org/branches/B1/").status_code == 404
    assert client.get("/org/branches/A1/").status_code == 200
    listing = client.get("/org/staff/").content.decode()
    assert "员工agent_a1" in listing and "员工agent_b1" not in listing


def test_agent_gets_404_for_another_branch_through_the_api(org, api):
    client = api(org.agent_a1)
    response = client.get(f"/org/staff/{staff_id(org.agent_b1)}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.get("/org/branches/B1").status_code == 404
    assert client.get(f"/org/staff/{staff_id(org.supervisor_a1)}").status_code == 200
    codes = {b["code"] for b in client.get("/org/branches").json()}
    assert codes == {"A1"}


def test_regional_manager_sees_the_region_and_not_beyond(org, api, login):
    client = api(org.regional_a)
    codes = {b["code"] for b in client.get("/org/branches").json()}
    assert codes == {"A1", "A2"}
    names = {s["name"] for s in client.get("/org/staff?limit=100").json()["items"]}
    assert {"员工agent_a1", "员工agent_a2", "员工super"} <= names
    assert "员工agent_b1" not in names
    assert client.get(f"/org/staff/{staff_id(org.agent_b1)}").status_code == 404
    page = login(org.regional_a).get("/org/branches/").content.decode()
    assert "杭州支行" in page and "北京支行" not in page


def test_company_manager_sees_everything(org, api):
    codes = {b["code"] for b in api(org.manager).get("/org/branches").json()}
    assert codes == {"A1", "A2", "B1"}


def test_agent_cannot_change_staff_in_another_branch(org, api):
    response = api(org.agent_a1).patch(f"/org/staff/{staff_id(org.agent_b1)}", {"name": "改名"})
    assert response.status_code == 404
    assert Staff.objects.get(user=org.agent_b1).name == "员工agent_b1"


@pytest.mark.django_db
def test_anonymous_sees_nothing():
    from django.contrib.auth.models import AnonymousUser

    assert visible_branch_ids(AnonymousUser()) == frozenset()
