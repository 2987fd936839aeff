"""The lockout tells nobody which e-mail addresses have accounts: unknown ones lock alike."""

from __future__ import annotations

import statistics
import time

import sqlalchemy as sa

from app.accounts.models import LoginThrottle
from app.extensions import db
from tests.factories import PASSWORD, register

VOLATILE_HEADERS = {"X-Request-ID", "Retry-After", "Content-Length", "Date"}


def _attempt(client, **identifier):
    return client.post(
        "/api/v1/auth/login",
        json={**identifier, "password": "not the password 7"},
        headers={"Accept-Language": "en"},
    )


def _answer(response):
    body = {k: v for k, v in response.get_json().items() if k != "instance"}
    headers = {k: v for k, v in response.headers.items() if k not in VOLATILE_HEADERS}
    retry = response.headers.get("Retry-After")
    return response.status_code, body, headers, retry is not None and int(retry) > 0


def test_an_unknown_address_answers_exactly_as_a_real_one(client):
    user = register(client)
    known = [_answer(_attempt(client, email=user["email"])) for _ in range(7)]
    unknown = [_answer(_attempt(client, email="nobody@example.om")) for _ in range(7)]
    assert [a[0] for a in known] == [401, 401, 401, 401, 401, 429, 429]
    assert known == unknown
    assert known[5][1]["code"] == "too_many_requests" and known[5][3] is True
    assert known[0][1]["code"] == "invalid_credentials" and known[0][3] is False


def test_an_unknown_civil_id_locks_too_and_identifiers_are_normalised(client):
    for _ in range(5):
        assert _attempt(client, civil_id="99887766").status_code == 401
    assert _attempt(client, civil_id=" 99887766").status_code == 429
    for _ in range(4):
        _attempt(client, email="Someone@Example.OM")
    assert _attempt(client, email="someone@example.om ").status_code == 401
    assert _attempt(client, email="someone@example.om").status_code == 429


def test_the_right_password_is_refused_while_locked_and_clears_the_count(client):
    user = register(client)
    for _ in range(4):
        _attempt(client, email=user["email"])
    ok = client.post("/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert ok.status_code == 200
    for _ in range(4):  # the count started again after the success
        assert _attempt(client, email=user["email"]).status_code == 401
    assert _attempt(client, email=user["email"]).status_code == 401
    locked = client.post("/api/v1/auth/login", json={"email": user["email"], "password": PASSWORD})
    assert locked.status_code == 429


def test_the_table_holds_no_identifier(app, client):
    _attempt(client, email="secret.person@example.om")
    with app.app_context():
        keys = db.session.scalars(sa.select(LoginThrottle.key)).all()
    assert len(keys) == 1 and "secret" not in keys[0] and len(keys[0]) == 64


def test_an_unknown_address_takes_about_as_long_as_a_real_one(app, client, monkeypatch):
    # The production hash cost, so that the password check dominates the answer's time.
    monkeypatch.setitem(app.config, "PASSWORD_HASH_MEMORY_KIB", 65536)
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 100)
    user = register(client)

    def median_seconds(email: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            assert _attempt(client, email=email).status_code == 401
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    median_seconds(user["email"])  # warm up: the dummy hash is made once per process
    known, unknown = median_seconds(user["email"]), median_seconds("nobody@example.om")
    assert 0.5 < unknown / known < 2.0, (known, unknown)
