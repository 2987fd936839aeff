"""Request limits per client address and per account: 429 problem JSON with Retry-After.

The suite runs with the limits off (tests/conftest.py); these tests build apps with them on, on
the same database, with the memory storage and with a real Redis shared by two app instances.
"""

from __future__ import annotations

import uuid

import pytest
from redis import Redis

from app import create_app
from tests.conftest import TEST_CONFIG
from tests.factories import PASSWORD, bearer, login, register


@pytest.fixture
def limited(app, database_url):
    """Build an app with the limits on (`app` is asked for: it migrated the database and its
    clean-up clears the rows these tests leave)."""

    def build(**settings):
        return create_app(
            {**TEST_CONFIG, "DATABASE_URL": database_url, "RATE_LIMITS_ENABLED": True, **settings}
        )

    return build


def _login(client, email: str, address: str = "192.0.2.10", **headers):
    return client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": "not the password 7"},
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
    )


def test_sixty_logins_to_sixty_accounts_from_one_address_meet_the_limit(limited):
    client = limited().test_client()  # the defaults: 30 a minute per address
    statuses = [_login(client, f"person{n}@example.om").status_code for n in range(60)]
    assert statuses == [401] * 30 + [429] * 30

    refused = _login(client, "person61@example.om", **{"Accept-Language": "en"})
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    body = refused.get_json()
    assert (body["code"], body["title"]) == ("too_many_requests", "Too many requests")
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    arabic = _login(client, "person62@example.om").get_json()
    assert arabic["title"] == "طلبات كثيرة جدًا"
    # Another address is not held back.
    assert _login(client, "person63@example.om", address="192.0.2.99").status_code == 401


def test_logins_to_one_account_are_limited_from_any_address(limited):
    client = limited(RATE_LIMIT_LOGIN_PER_ACCOUNT="3/minute").test_client()
    addresses = [f"198.51.100.{n}" for n in range(1, 6)]
    statuses = [_login(client, "target@example.om", a).status_code for a in addresses]
    assert statuses == [401, 401, 401, 429, 429]
    assert _login(client, "other@example.om", "198.51.100.9").status_code == 401


def test_x_forwarded_for_counts_only_behind_the_configured_proxies(limited):
    direct = limited(RATE_LIMIT_LOGIN_PER_ADDRESS="3/minute").test_client()
    spoofed = [
        _login(direct, f"a{n}@example.om", **{"X-Forwarded-For": f"203.0.113.{n}"}).status_code
        for n in range(4)
    ]
    assert spoofed == [401, 401, 401, 429]  # no proxy trusted: the header changes nothing

    proxied = limited(RATE_LIMIT_LOGIN_PER_ADDRESS="3/minute", TRUSTED_PROXY_COUNT=1)
    client = proxied.test_client()
    # One proxy: the address it appended (the last) is the client's; what the client wrote
    # before it is ignored.
    apart = [
        _login(client, f"b{n}@example.om", **{"X-Forwarded-For": f"10.9.9.9, 203.0.113.{n}"})
        for n in range(4)
    ]
    assert [r.status_code for r in apart] == [401, 401, 401, 401]
    same = [
        _login(client, f"c{n}@example.om", **{"X-Forwarded-For": f"10.0.0.{n}, 203.0.113.50"})
        for n in range(4)
    ]
    assert [r.status_code for r in same] == [401, 401, 401, 429]


def test_password_changes_and_uploads_are_limited_per_account(limited):
    app = limited(RATE_LIMIT_PASSWORD_PER_ACCOUNT="2/hour", RATE_LIMIT_UPLOAD_PER_ACCOUNT="2/hour")
    client = app.test_client()
    user = register(client)
    headers = bearer(login(client, user["email"]))
    change = {"current_password": "not my password", "new_password": "a quiet harbour at dawn"}
    statuses = [
        client.post("/api/v1/auth/password", json=change, headers=headers).status_code
        for _ in range(3)
    ]
    assert statuses == [422, 422, 429]
    uploads = [
        client.post(
            "/api/v1/applications/999999/documents",
            data={"document_code": "x"},
            headers=headers,
            content_type="multipart/form-data",
        ).status_code
        for _ in range(3)
    ]
    assert uploads == [422, 422, 429]  # no file: refused, and counted all the same
    evidence = client.post(
        "/api/v1/refunds/999999/files",
        data={"kind": "bank_statement"},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert evidence.status_code == 429  # the same account's upload budget
    # Another account is not held back.
    other = bearer(login(client, register(client)["email"]))
    assert client.post("/api/v1/auth/password", json=change, headers=other).status_code == 422


def test_registration_and_refresh_are_limited_per_address(limited):
    app = limited(
        RATE_LIMIT_REGISTER_PER_ADDRESS="1/hour", RATE_LIMIT_REFRESH_PER_ADDRESS="2/minute"
    )
    client = app.test_client()
    user = register(client)
    again = client.post("/api/v1/auth/register", json={"email": "x"})
    assert again.status_code == 429
    tokens = login(client, user["email"], PASSWORD)
    first = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert first.status_code == 200
    token = first.get_json()["refresh_token"]
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": token}).status_code == 200
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": "x"}).status_code == 429


def test_with_redis_two_app_instances_share_the_counts(limited, redis_server):
    Redis.from_url(redis_server.url).flushall()
    settings = {"REDIS_URL": redis_server.url, "RATE_LIMIT_LOGIN_PER_ADDRESS": "4/minute"}
    one, two = limited(**settings).test_client(), limited(**settings).test_client()
    address = f"192.0.2.{uuid.uuid4().int % 200 + 1}"
    statuses = [
        _login(client, f"shared{n}@example.om", address).status_code
        for n, client in enumerate([one, two, one, two, one, two])
    ]
    assert statuses == [401, 401, 401, 401, 429, 429]
    # A memory-backed instance counts on its own.
    alone = limited(RATE_LIMIT_LOGIN_PER_ADDRESS="4/minute").test_client()
    assert _login(alone, "shared9@example.om", address).status_code == 401


def test_with_redis_down_the_limits_fall_back_to_memory_not_to_500(limited):
    from tests.servers import free_port

    nowhere = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    client = limited(REDIS_URL=nowhere, RATE_LIMIT_LOGIN_PER_ADDRESS="3/minute").test_client()
    statuses = [_login(client, f"down{n}@example.om").status_code for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]


def test_only_the_limited_views_pay_for_the_limiter(limited):
    """Flask-Limiter's own request hooks (default and application-wide limits, which we do not
    have) are not installed: a catalogue read is never counted however often it comes, while
    the views with limits still refuse past them."""
    app = limited(RATE_LIMIT_LOGIN_PER_ADDRESS="2/minute")
    limiter = app.extensions["rate_limiter"]
    hooks = [
        *app.before_request_funcs.get(None, ()),
        *app.after_request_funcs.get(None, ()),
        *app.teardown_request_funcs.get(None, ()),
    ]
    assert not [
        h for h in hooks if limiter in (getattr(h, "__self__", None), *getattr(h, "args", ()))
    ]
    client = app.test_client()
    assert {client.get("/api/v1/services").status_code for _ in range(40)} == {200}
    statuses = [_login(client, f"hooks{n}@example.om").status_code for n in range(3)]
    assert statuses == [401, 401, 429]
