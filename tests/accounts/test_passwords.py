"""Passwords (NIST SP 800-63B): long enough, not a leaked one, not the user's own details; and
changing one ends the account's other sessions."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from tests.factories import PASSWORD, applicant_data, bearer, login, register, staff_headers

NEW_PASSWORD = "a quiet harbour at dawn"


def _password_errors(response) -> list[str]:
    assert response.status_code == 422, response.get_json()
    return [e["detail"] for e in response.get_json()["errors"] if e["field"] == "password"]


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("password123", "Use at least 12 characters in the password"),
        ("password1234", "lists of common or leaked passwords"),
        ("Password-2024!", "lists of common or leaked passwords"),
        ("Qwerty 123456", "lists of common or leaked passwords"),
        ("ababababababab", "repeats too few characters"),
        ("x" * 129, "at most 128 characters"),
        ("sara.hinai@example.om", "must not contain your e-mail address"),
        ("my name is sara.hinai!", "must not contain your e-mail address"),
        ("my id 55667788 ok", "civil ID"),
        ("call me on 91234567", "mobile number"),
    ],
)
def test_weak_passwords_are_refused_at_registration(client, password, message):
    data = applicant_data(
        email="sara.hinai@example.om", civil_id="55667788", phone="+96891234567", password=password
    )
    response = client.post("/api/v1/auth/register", json=data, headers={"Accept-Language": "en"})
    errors = _password_errors(response)
    assert len(errors) == 1 and message in errors[0]


def test_a_pass_phrase_is_accepted_and_the_refusal_speaks_arabic(client):
    assert register(client, password="the camel walks at dawn")["id"]
    arabic = client.post("/api/v1/auth/register", json=applicant_data(password="password1234"))
    assert _password_errors(arabic) == [
        "كلمة المرور هذه مدرجة في قوائم كلمات المرور الشائعة أو المسرّبة؛ اختر غيرها."
    ]


def test_a_weak_password_is_named_beside_other_wrong_fields(client):
    data = applicant_data(phone="123", password="short")
    response = client.post("/api/v1/auth/register", json=data, headers={"Accept-Language": "en"})
    assert {e["field"] for e in response.get_json()["errors"]} == {"phone", "password"}


def test_staff_creation_refuses_weak_passwords(app, client):
    _, admin = staff_headers(app, client, "admin")
    data = applicant_data(role="inspector", department="licensing", password="iloveyou2024")
    response = client.post("/api/v1/staff", json=data, headers=admin)
    assert len(_password_errors(response)) == 1
    cli = app.test_cli_runner().invoke(
        args=[
            "users", "create-staff", "--authority", "NBG", "--department", "it",
            "--role", "admin", "--email", "admin2@nbg.gov.om", "--name", "Salim Al Harthy",
            "--civil-id", "11223355", "--phone", "+96899887755",
            "--password", "admin2@nbg.gov.om",
        ]
    )  # fmt: skip
    assert cli.exit_code != 0 and "password" in cli.output


def _change(client, headers, current: str, new: str):
    return client.post(
        "/api/v1/auth/password",
        json={"current_password": current, "new_password": new},
        headers={**headers, "Accept-Language": "en"},
    )


def test_changing_the_password_ends_the_other_sessions(app, client):
    user = register(client)
    here = login(client, user["email"])
    elsewhere = login(client, user["email"])
    assert _change(client, bearer(here), PASSWORD, NEW_PASSWORD).status_code == 204

    assert client.get("/api/v1/me", headers=bearer(here)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(elsewhere)).status_code == 401
    refresh = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": elsewhere["refresh_token"]}
    )
    assert refresh.status_code == 401
    old = client.post("/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert old.status_code == 401
    assert login(client, user["email"], NEW_PASSWORD)["access_token"]
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "account.password_changed")
        )
    assert entry.subject_id == str(user["id"]) and entry.actor_id == user["id"]
    assert PASSWORD not in str(entry.after) and NEW_PASSWORD not in str(entry.after)


def test_a_password_change_needs_the_current_password_and_a_strong_new_one(client):
    user = register(client)
    headers = bearer(login(client, user["email"]))
    wrong = _change(client, headers, "not my password", NEW_PASSWORD)
    assert wrong.status_code == 422
    assert wrong.get_json()["errors"][0]["field"] == "current_password"
    weak = _change(client, headers, PASSWORD, user["email"])
    assert weak.status_code == 422
    assert [e["field"] for e in weak.get_json()["errors"]] == ["new_password"]
    assert "e-mail" in weak.get_json()["errors"][0]["detail"]
    anonymous = client.post(
        "/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    )
    assert anonymous.status_code == 401
    assert login(client, user["email"])["access_token"]  # nothing changed
