"""Registration, login, tokens and logout, as an applicant lives them."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.accounts.models import AuthSession
from app.accounts.tokens import issue_access_token
from app.extensions import db
from app.timeutil import utcnow
from tests.factories import PASSWORD, applicant_data, bearer, business_data, login, register


def test_register_login_and_read_own_profile(client):
    data = applicant_data(phone="9123 4567", email="Sara@Example.OM")
    created = client.post("/api/v1/auth/register", json=data)
    assert created.status_code == 201
    body = created.get_json()
    assert body["kind"] == "individual" and body["role"] == "applicant"
    assert body["phone"] == "+96891234567"
    assert body["email"] == "sara@example.om"
    assert "password" not in body and "password_hash" not in body

    tokens = login(client, "sara@example.om")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 900
    me = client.get("/api/v1/me", headers=bearer(tokens))
    assert me.status_code == 200
    assert me.get_json()["civil_id"] == data["civil_id"]
    assert me.get_json()["created_at"].endswith("+04:00")


def test_business_registration_keeps_cr_and_trade_name(client):
    data = business_data()
    body = client.post("/api/v1/auth/register", json=data).get_json()
    assert body["kind"] == "business"
    assert (body["cr_number"], body["trade_name"]) == (data["cr_number"], data["trade_name"])


def test_business_needs_both_cr_and_trade_name(client):
    data = applicant_data(cr_number="1234567")
    response = client.post("/api/v1/auth/register", json=data, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["trade_name"]


def test_login_by_civil_id(client):
    user = register(client)
    response = client.post(
        "/api/v1/auth/login", json={"civil_id": user["civil_id"], "password": PASSWORD}
    )
    assert response.status_code == 200
    assert (
        client.get("/api/v1/me", headers=bearer(response.get_json())).get_json()["id"] == user["id"]
    )


def test_wrong_password_and_unknown_account_answer_alike(client):
    user = register(client)
    wrong = client.post(
        "/api/v1/auth/login", json={"email": user["email"], "password": "nope nope 1"}
    )
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.om", "password": "x"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["code"] == unknown.get_json()["code"] == "invalid_credentials"


def test_repeated_failures_lock_the_account_for_a_while(client):
    user = register(client)
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"email": user["email"], "password": "wrong pass 1"})
    locked = client.post("/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0


def test_refresh_rotates_the_refresh_token(client):
    user = register(client)
    first = login(client, user["email"])
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    second = refreshed.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert client.get("/api/v1/me", headers=bearer(second)).status_code == 200
    again = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert again.status_code == 401
    assert again.get_json()["code"] == "invalid_refresh_token"


def test_logout_revokes_access_and_refresh_tokens(client):
    user = register(client)
    tokens = login(client, user["email"])
    other_device = login(client, user["email"])
    assert client.post("/api/v1/auth/logout", headers=bearer(tokens)).status_code == 204
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 401
    refused = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refused.status_code == 401
    # Only that session ended; the other device stays logged in until it logs out everywhere.
    assert client.get("/api/v1/me", headers=bearer(other_device)).status_code == 200
    everywhere = client.post(
        "/api/v1/auth/logout", json={"all_sessions": True}, headers=bearer(other_device)
    )
    assert everywhere.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(other_device)).status_code == 401


def test_expired_and_forged_tokens_are_refused(app, client):
    user = register(client)
    tokens = login(client, user["email"])
    with app.app_context():
        session_id = db.session.scalar(sa.select(AuthSession.id))
        expired = issue_access_token(user["id"], session_id, now=utcnow() - timedelta(hours=1))
    assert client.get("/api/v1/me", headers=bearer(expired)).status_code == 401
    forged = tokens["access_token"][:-4] + "AAAA"
    response = client.get("/api/v1/me", headers=bearer(forged))
    assert response.status_code == 401
    assert response.get_json()["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_passwords_are_stored_as_argon2id_hashes(app, client):
    user = register(client)
    with app.app_context():
        stored = db.session.scalar(
            sa.text("SELECT password_hash FROM users WHERE id = :id"), {"id": user["id"]}
        )
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored


def test_applicant_changes_phone_and_language(client):
    user = register(client)
    headers = bearer(login(client, user["email"]))
    response = client.patch(
        "/api/v1/me",
        json={"phone": "0096879876543", "preferred_language": "ar", "current_password": PASSWORD},
        headers=headers,
    )
    assert response.status_code == 200
    assert response.get_json()["phone"] == "+96879876543"
    assert response.get_json()["preferred_language"] == "ar"
