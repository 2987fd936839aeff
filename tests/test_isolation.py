"""Nobody sees another's records: applicants each other's, staff another authority's."""

from __future__ import annotations

from tests.factories import applicant_data, applicant_headers, staff_headers


def test_an_applicant_sees_only_their_own_record(client):
    first, first_headers = applicant_headers(client)
    second, second_headers = applicant_headers(client)
    own = client.get(f"/api/v1/applicants/{first['id']}", headers=first_headers)
    assert own.status_code == 200 and own.get_json()["email"] == first["email"]
    other = client.get(f"/api/v1/applicants/{first['id']}", headers=second_headers)
    assert other.status_code == 404
    assert first["email"] not in other.get_data(as_text=True)
    assert other.get_json()["code"] == "not_found"


def test_an_admin_sees_and_manages_only_their_authoritys_staff(app, client):
    _, nbg_admin = staff_headers(app, client, "admin", "NBG")
    abg_inspector, _ = staff_headers(app, client, "inspector", "ABG")
    nbg_inspector, _ = staff_headers(app, client, "inspector", "NBG")

    listed = client.get("/api/v1/staff?page_size=100", headers=nbg_admin).get_json()
    emails = {s["email"] for s in listed}
    assert nbg_inspector["email"] in emails and abg_inspector["email"] not in emails
    assert all(s["authority"]["code"] == "NBG" for s in listed)

    assert client.get(f"/api/v1/staff/{abg_inspector['id']}", headers=nbg_admin).status_code == 404
    patch = client.patch(
        f"/api/v1/staff/{abg_inspector['id']}", json={"is_active": False}, headers=nbg_admin
    )
    assert patch.status_code == 404


def test_admin_creates_staff_only_in_own_authority_and_deactivates_them(app, client):
    _, admin = staff_headers(app, client, "admin", "ABG")
    data = applicant_data(role="finance", department="finance")
    data.pop("preferred_language")
    created = client.post("/api/v1/staff", json=data, headers=admin)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["authority"]["code"], body["department"]["code"], body["role"]) == (
        "ABG",
        "finance",
        "finance",
    )

    tokens = client.post(
        "/api/v1/auth/login", json={"email": data["email"], "password": data["password"]}
    ).get_json()
    assert (
        client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        ).status_code
        == 200
    )
    off = client.patch(f"/api/v1/staff/{body['id']}", json={"is_active": False}, headers=admin)
    assert off.status_code == 200 and off.get_json()["is_active"] is False
    assert (
        client.get(
            "/api/v1/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        ).status_code
        == 401
    )


def test_staff_cannot_be_put_in_an_unknown_department(app, client):
    _, admin = staff_headers(app, client, "admin", "NBG")
    data = applicant_data(role="inspector", department="no-such-department")
    data.pop("preferred_language")
    response = client.post("/api/v1/staff", json=data, headers=admin)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "department"
