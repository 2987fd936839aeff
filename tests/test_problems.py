"""Bad input gets a clear problem JSON (RFC 9457), in Arabic or English, and changes nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from tests.factories import applicant_data, register

AR = {"Accept-Language": "ar"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}


def _problem(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["code"] == code
    assert body["type"] == f"urn:baladiya:problem:{code}"
    return body


def _both(client, status, code, send):
    """Send the same bad request in Arabic and English; the texts differ, the code does not."""
    ar = _problem(send(AR), status, code)
    en = _problem(send(EN), status, code)
    assert ar["title"] != en["title"] and ar["detail"] != en["detail"]
    assert any("\u0600" <= ch <= "\u06ff" for ch in ar["title"] + ar["detail"])
    assert en["title"].isascii()
    return ar, en


def test_malformed_json(client):
    ar, en = _both(
        client,
        400,
        "malformed_json",
        lambda h: client.post(
            "/api/v1/auth/register",
            data='{"civil_id": "1234',
            content_type="application/json",
            headers=h,
        ),
    )
    assert en["title"] == "Malformed JSON"


def test_body_over_the_size_limit(client):
    big = '{"name": "' + "x" * (1024 * 1024 + 10) + '"}'
    _, en = _both(
        client,
        413,
        "payload_too_large",
        lambda h: client.post(
            "/api/v1/auth/register", data=big, content_type="application/json", headers=h
        ),
    )
    assert en["title"] == "Request too large"


def test_unknown_route(client):
    _both(client, 404, "not_found", lambda h: client.get("/api/v1/no-such-thing", headers=h))


def test_wrong_method(client):
    _, en = _both(client, 405, "method_not_allowed", lambda h: client.put("/api/v1/me", headers=h))
    response = client.put("/api/v1/me")
    assert "GET" in response.headers["Allow"] and "PATCH" in response.headers["Allow"]


def test_body_that_is_not_json(client):
    _both(
        client,
        415,
        "unsupported_media_type",
        lambda h: client.post(
            "/api/v1/auth/login",
            data="email=a",
            content_type="application/x-www-form-urlencoded",
            headers=h,
        ),
    )


def test_unknown_field_is_named(client):
    data = applicant_data(nickname="Abu Ali")
    ar, en = _both(
        client,
        422,
        "validation_failed",
        lambda h: client.post("/api/v1/auth/register", json=data, headers=h),
    )
    assert en["errors"] == [
        {"field": "nickname", "pointer": "/nickname", "detail": "Unknown field."}
    ]
    assert ar["errors"][0]["field"] == "nickname" and ar["errors"][0]["detail"] == "حقل غير معروف."


def test_wrong_type_is_named(client):
    data = applicant_data(civil_id=12345678)
    ar, en = _both(
        client,
        422,
        "validation_failed",
        lambda h: client.post("/api/v1/auth/register", json=data, headers=h),
    )
    assert en["errors"] == [
        {"field": "civil_id", "pointer": "/civil_id", "detail": "Not a valid string."}
    ]
    assert ar["errors"][0]["detail"] == "ليس نصًا صحيحًا."


def test_every_bad_field_is_named_with_arguments_translated(client):
    data = applicant_data(name="Al", email="not-an-email", phone="12345", preferred_language="fr")
    del data["password"]
    ar, en = _both(
        client,
        422,
        "validation_failed",
        lambda h: client.post("/api/v1/auth/register", json=data, headers=h),
    )
    fields = {e["field"]: e["detail"] for e in en["errors"]}
    assert set(fields) == {"name", "email", "phone", "preferred_language", "password"}
    assert fields["name"] == "Length must be between 3 and 200."
    assert fields["password"] == "Missing data for required field."
    ar_fields = {e["field"]: e["detail"] for e in ar["errors"]}
    assert ar_fields["name"] == "يجب أن يكون الطول بين 3 و200."
    assert ar_fields["preferred_language"] == "يجب أن تكون إحدى القيم: ar, en."


@pytest.mark.parametrize("field", ["civil_id", "email", "cr_number"])
def test_duplicates_are_refused_with_a_clear_message_and_nothing_written(app, client, field):
    first = register(client, cr_number="7654321", trade_name="First LLC")
    with app.app_context():
        accounts = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    data = applicant_data(
        **{"cr_number": "7654322", "trade_name": "Second LLC", field: first[field]}
    )
    ar, en = _both(
        client,
        409,
        f"duplicate_{field}",
        lambda h: client.post("/api/v1/auth/register", json=data, headers=h),
    )
    assert en["fields"] == [field]
    assert "already exists" in en["detail"]
    with app.app_context():  # the refused registrations wrote no account
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == accounts


def test_arabic_is_the_default_language(client):
    body = _problem(client.get("/api/v1/nowhere"), 404, "not_found")
    assert body["title"] == "غير موجود"
    assert client.get("/api/v1/nowhere").headers["Content-Language"] == "ar"
