"""Password reset: by a one-time link by e-mail or a six-digit code by SMS, delivered through a
real SMTP server and an HTTP SMS gateway; the same answer whether or not the account exists."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from app import create_app
from app.accounts.models import PasswordReset, User
from app.accounts.resets import purge_password_resets
from app.audit.models import AuditEntry
from app.extensions import db
from app.notifications.models import Notification
from app.timeutil import real_utcnow
from tests.conftest import TEST_CONFIG
from tests.factories import PASSWORD, bearer, login, make_staff, register, staff_headers

NEW_PASSWORD = "a brand new pass phrase 9"
URL = "/api/v1/auth/password-reset"


@pytest.fixture
def mail(outbox_app, smtp, sms):
    outbox_app.config["PASSWORD_RESET_URL"] = "https://portal.example.om/reset?token={token}"
    return outbox_app, smtp, sms


def _drain(app):
    assert app.extensions["jobs"].drain(15)


def _link_token(smtp, email: str) -> str:
    [message] = [m for m in smtp.messages if m["To"] == email]
    text = message.get_body(("plain",)).get_content()
    url = re.search(r"https://portal\.example\.om/reset\?token=\S+", text).group(0)
    return parse_qs(urlparse(url).query)["token"][0]


def _sms_code(sms, phone: str) -> str:
    texts = [m["text"] for m in sms.received if m["to"] == phone]
    return re.search(r"\b(\d{6})\b", texts[-1]).group(1)


def _ask(client, **body):
    return client.post(URL, json=body, headers={"Accept-Language": "en"})


def _confirm(client, **body):
    return client.post(f"{URL}/confirm", json=body, headers={"Accept-Language": "en"})


def test_reset_by_email_link_sets_the_password_ends_sessions_and_tells_by_sms(mail, client):
    app, smtp, sms = mail
    user = register(client)
    old_session = login(client, user["email"])
    assert _ask(client, email=user["email"].upper()).status_code == 202
    _drain(app)
    token = _link_token(smtp, user["email"])
    assert sms.received == []  # the link went by e-mail only

    answer = _confirm(client, token=token, new_password=NEW_PASSWORD)
    assert answer.status_code == 204, answer.get_json()
    _drain(app)
    # every session ended; the new password works and the old one does not
    assert client.get("/api/v1/me", headers=bearer(old_session)).status_code == 401
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD}
        ).status_code
        == 401
    )
    login(client, user["email"], NEW_PASSWORD)
    # told by the other channel, SMS
    [told] = [m for m in sms.received if m["to"] == user["phone"]]
    assert "password was reset" in told["text"]
    # used once
    again = _confirm(client, token=token, new_password="yet another pass phrase 3")
    assert again.status_code == 400 and again.get_json()["code"] == "invalid_reset"
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.subject_id == str(user["id"]))
        ).all()
        assert "account.password_reset_requested" in actions
        assert "account.password_reset" in actions
        # the e-mail's text in the outbox no longer holds the link
        bodies = db.session.scalars(
            sa.select(Notification.body_text).where(Notification.event == "password_reset_link")
        ).all()
        assert bodies and all(token not in b for b in bodies)


def test_reset_by_sms_code_and_the_notice_goes_by_email(mail, client):
    app, smtp, sms = mail
    user = register(client, preferred_language="ar")
    assert _ask(client, civil_id=user["civil_id"], channel="sms").status_code == 202
    _drain(app)
    code = _sms_code(sms, user["phone"])
    assert smtp.messages == []
    answer = _confirm(client, civil_id=user["civil_id"], code=code, new_password=NEW_PASSWORD)
    assert answer.status_code == 204, answer.get_json()
    _drain(app)
    [told] = smtp.messages
    assert told["To"] == user["email"] and told["Subject"] == "تغيّرت كلمة المرور لحسابك في بلدية"
    login(client, user["email"], NEW_PASSWORD)


def test_wrong_codes_count_and_the_last_allowed_kills_the_code(mail, client):
    app, _smtp, sms = mail
    app.config["PASSWORD_RESET_MAX_TRIES"] = 3
    user = register(client)
    _ask(client, email=user["email"], channel="sms")
    _drain(app)
    code = _sms_code(sms, user["phone"])
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(3):
        answer = _confirm(client, email=user["email"], code=wrong, new_password=NEW_PASSWORD)
        assert answer.status_code == 400 and answer.get_json()["code"] == "invalid_reset"
    # the right code no longer works after three wrong ones
    late = _confirm(client, email=user["email"], code=code, new_password=NEW_PASSWORD)
    assert late.status_code == 400
    login(client, user["email"], PASSWORD)


def test_an_expired_link_is_refused(mail, client):
    app, smtp, _sms = mail
    user = register(client)
    _ask(client, email=user["email"])
    _drain(app)
    token = _link_token(smtp, user["email"])
    with app.app_context():
        db.session.execute(
            sa.update(PasswordReset).values(expires_at=real_utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    answer = _confirm(client, token=token, new_password=NEW_PASSWORD)
    assert answer.status_code == 400 and answer.get_json()["code"] == "invalid_reset"
    assert "expired" in answer.get_json()["detail"]


def test_a_new_request_supersedes_the_earlier_link(mail, client):
    app, smtp, _sms = mail
    user = register(client)
    _ask(client, email=user["email"])
    _drain(app)
    first = _link_token(smtp, user["email"])
    smtp.messages.clear()
    _ask(client, email=user["email"])
    _drain(app)
    second = _link_token(smtp, user["email"])
    assert first != second
    assert _confirm(client, token=first, new_password=NEW_PASSWORD).status_code == 400
    assert _confirm(client, token=second, new_password=NEW_PASSWORD).status_code == 204


def test_an_unknown_account_answers_exactly_as_a_known_one(mail, client):
    app, smtp, sms = mail
    user = register(client)
    known = _ask(client, email=user["email"])
    unknown = _ask(client, email="nobody-here@example.om")
    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()
    assert known.get_json()["detail"].startswith("If an account has this e-mail or civil ID")
    _drain(app)
    assert [m["To"] for m in smtp.messages] == [user["email"]]
    # a code for an account that does not exist answers as a wrong code does
    nobody = _confirm(
        client, email="nobody-here@example.om", code="123456", new_password=NEW_PASSWORD
    )
    wrong = _confirm(client, email=user["email"], code="123456", new_password=NEW_PASSWORD)
    assert nobody.status_code == wrong.status_code == 400
    assert nobody.get_json()["detail"] == wrong.get_json()["detail"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset)) == 1


def test_an_account_gets_a_few_resets_an_hour_and_more_are_answered_alike(mail, client):
    app, smtp, _sms = mail
    app.config["PASSWORD_RESET_MAX_PER_HOUR"] = 2
    user = register(client)
    answers = [_ask(client, email=user["email"]).status_code for _ in range(4)]
    assert answers == [202, 202, 202, 202]
    _drain(app)
    assert len([m for m in smtp.messages if m["To"] == user["email"]]) == 2


def test_the_rate_limiter_counts_per_identifier_and_per_address(app, database_url):
    limited = create_app(
        {
            **TEST_CONFIG,
            "DATABASE_URL": database_url,
            "RATE_LIMITS_ENABLED": True,
            "RATE_LIMIT_PASSWORD_RESET_PER_ACCOUNT": "3/hour",
            "RATE_LIMIT_PASSWORD_RESET_PER_ADDRESS": "5/hour",
        }
    ).test_client()

    def ask(email, address="192.0.2.10"):
        return limited.post(URL, json={"email": email}, environ_base={"REMOTE_ADDR": address})

    # one identifier from many addresses
    assert [ask("target@example.om", f"198.51.100.{n}").status_code for n in range(4)] == [
        202,
        202,
        202,
        429,
    ]
    # one address for many identifiers
    statuses = [ask(f"person{n}@example.om", "192.0.2.77").status_code for n in range(6)]
    assert statuses == [202] * 5 + [429]
    refused = ask("person9@example.om", "192.0.2.77")
    assert refused.mimetype == "application/problem+json" and "Retry-After" in refused.headers


def test_the_new_password_must_pass_the_policy_and_the_link_stays_usable(mail, client):
    app, smtp, _sms = mail
    user = register(client)
    _ask(client, email=user["email"])
    _drain(app)
    token = _link_token(smtp, user["email"])
    weak = _confirm(client, token=token, new_password="short")
    assert weak.status_code == 422
    assert [e["field"] for e in weak.get_json()["errors"]] == ["new_password"]
    assert _confirm(client, token=token, new_password=NEW_PASSWORD).status_code == 204


def test_bad_bodies_are_422_problems(client):
    for body in (
        {},
        {"email": "a@example.om", "civil_id": "12345678"},
        {"email": "a@example.om", "channel": "pigeon"},
    ):
        answer = _ask(client, **body)
        assert answer.status_code == 422, body
        assert answer.headers["Content-Type"] == "application/problem+json"
    for body in (
        {"new_password": NEW_PASSWORD},
        {"token": "x", "code": "123456", "email": "a@example.om", "new_password": NEW_PASSWORD},
        {"code": "12345", "email": "a@example.om", "new_password": NEW_PASSWORD},
        {"code": "123456", "new_password": NEW_PASSWORD},
    ):
        assert _confirm(client, **body).status_code == 422, body


def test_a_reset_lifts_the_login_lockout(mail, client):
    app, smtp, _sms = mail
    user = register(client)
    for _ in range(5):
        client.post("/api/v1/auth/login", json={"email": user["email"], "password": "wrong one 1"})
    locked = client.post("/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert locked.status_code == 429
    _ask(client, email=user["email"])
    _drain(app)
    assert (
        _confirm(
            client, token=_link_token(smtp, user["email"]), new_password=NEW_PASSWORD
        ).status_code
        == 204
    )
    login(client, user["email"], NEW_PASSWORD)


def test_staff_reset_their_own_and_an_admin_resets_a_member_of_staff(mail, client):
    app, smtp, _sms = mail
    inspector = make_staff(app, "inspector")
    _admin, admin_headers = staff_headers(app, client, "admin")
    session = login(client, inspector["email"])
    answer = client.post(
        f"/api/v1/staff/{inspector['id']}/password-reset",
        json={},
        headers={**admin_headers, "Accept-Language": "en"},
    )
    assert answer.status_code == 202 and "sessions" in answer.get_json()["detail"]
    # the member's sessions end at once
    assert client.get("/api/v1/me", headers=bearer(session)).status_code == 401
    _drain(app)
    token = _link_token(smtp, inspector["email"])
    assert _confirm(client, token=token, new_password=NEW_PASSWORD).status_code == 204
    login(client, inspector["email"], NEW_PASSWORD)
    # an admin of another authority, or a non-admin, cannot
    _other, other_admin = staff_headers(app, client, "admin", authority="ABG")
    assert (
        client.post(
            f"/api/v1/staff/{inspector['id']}/password-reset", headers=other_admin
        ).status_code
        == 404
    )
    _head, head_headers = staff_headers(app, client, "department_head")
    assert (
        client.post(
            f"/api/v1/staff/{inspector['id']}/password-reset", headers=head_headers
        ).status_code
        == 403
    )


def test_the_table_keeps_only_keyed_hashes_and_the_purge_scrubs_messages(mail, client):
    app, smtp, sms = mail
    user = register(client)
    _ask(client, email=user["email"], channel="sms")
    _drain(app)
    code = _sms_code(sms, user["phone"])
    with app.app_context():
        [reset] = db.session.scalars(sa.select(PasswordReset)).all()
        assert code not in reset.secret_hash and len(reset.secret_hash) == 64
        reset.expires_at = real_utcnow() - timedelta(days=2)
        db.session.commit()
        assert purge_password_resets() == 1
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PasswordReset)) == 0
        bodies = db.session.scalars(
            sa.select(Notification.body_text).where(Notification.event == "password_reset_code")
        ).all()
        assert bodies and all(code not in b for b in bodies)
        assert db.session.scalar(sa.select(User.id).where(User.email == user["email"]))
