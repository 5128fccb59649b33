"""Token authentication, stable JSON errors, masking by role, OpenAPI."""

from __future__ import annotations

import pytest

from manyi.org.models import ApiToken, Staff


def test_refused_without_a_token(org, client):
    response = client.get("/api/v1/org/branches")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.json()["message"]
    assert response["WWW-Authenticate"] == "Bearer"


def test_refused_with_a_wrong_or_revoked_token(org, client, api):
    bad = client.get("/api/v1/org/branches", headers={"Authorization": "Bearer mny_nope"})
    assert bad.status_code == 401
    good = api(org.agent_a1)
    assert good.get("/org/branches").status_code == 200
    from manyi.org.actions import SYSTEM, revoke_api_token

    revoke_api_token(SYSTEM, ApiToken.objects.get(user=org.agent_a1))
    assert good.get("/org/branches").status_code == 401


def test_token_is_stored_as_a_digest_only(org):
    from manyi.org.actions import SYSTEM, create_api_token

    token, raw = create_api_token(SYSTEM, org.agent_a1)
    assert raw.startswith("mny_") and len(raw) > 40
    assert raw not in (token.digest, token.prefix)
    assert ApiToken.objects.filter(digest=ApiToken.digest_of(raw)).exists()


def test_me(org, api):
    me = api(org.agent_a1).get("/org/me").json()
    assert me["username"] == "agent_a1" and me["role"] == "agent" and me["branches"] == ["A1"]


def test_personal_data_is_masked_for_everyone_in_listings(org, api):
    target = Staff.objects.get(user=org.agent_a1).pk
    for user in (org.agent_a1, org.supervisor_a1, org.manager):
        data = api(user).get(f"/org/staff/{target}").json()
        assert data["phone"] == "139****1111"
        assert data["id_number"] == "110***********1234"


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("agent_a1", False),
        ("analyst", False),
        ("supervisor_a1", True),
        ("manager", True),
    ],
)
def test_unmasking_depends_on_the_role(org, api, who, allowed):
    target = Staff.objects.get(user=org.agent_a1).pk
    response = api(getattr(org, who)).post(f"/org/staff/{target}/reveal", {"field": "phone"})
    if allowed:
        assert response.status_code == 200 and response.json()["value"] == "13900001111"
    else:
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"


def test_reveal_of_a_field_that_is_not_personal_is_refused(org, api):
    target = Staff.objects.get(user=org.agent_a1).pk
    response = api(org.manager).post(f"/org/staff/{target}/reveal", {"field": "name"})
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_validation_errors_are_json_with_a_code(org, api):
    response = api(org.admin).post("/org/staff", {"username": "x"})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and body["details"]


def test_admin_creates_staff_and_an_agent_may_not(org, api):
    payload = {
        "username": "newbie",
        "name": "新人",
        "role": "agent",
        "branches": ["A1"],
        "phone": "13600000000",
    }
    assert api(org.agent_a1).post("/org/staff", payload).status_code == 403
    response = api(org.admin).post("/org/staff", payload)
    assert response.status_code == 201
    assert response.json()["phone"] == "136****0000"
    duplicate = api(org.admin).post("/org/staff", payload)
    assert duplicate.status_code == 400 and "newbie" in duplicate.json()["message"]


def test_unknown_endpoint_is_a_json_404(org, api):
    response = api(org.agent_a1).get("/no/such/thing")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_error_messages_follow_the_language(org, client):
    english = client.get("/api/v1/org/branches", headers={"Accept-Language": "en"})
    chinese = client.get("/api/v1/org/branches", headers={"Accept-Language": "zh-hans"})
    assert english.json()["code"] == chinese.json()["code"] == "unauthorized"
    assert "Authentication" in english.json()["message"]
    assert "认证" in chinese.json()["message"] or "登录" in chinese.json()["message"]


@pytest.mark.django_db
def test_openapi_and_docs(client):
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    spec = schema.json()
    assert "/api/v1/org/staff/{staff_id}" in spec["paths"]
    assert "BearerToken" in spec["components"]["securitySchemes"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and "/api/v1/org/staff/{staff_id}" in docs.content.decode()
    assert b"swagger" in client.get("/api/v1/docs/try").content.lower()


def test_an_unexpected_error_is_json_too(org, api, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("manyi.org.api.get_visible_or_404", boom)
    response = api(org.agent_a1).get("/org/branches/A1")
    assert response.status_code == 500
    assert response.json()["code"] == "server_error"
    assert "bug" not in response.json()["message"]  # no internals leak
