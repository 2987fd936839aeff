"""PostgreSQL stopped under traffic: every request answers 503 problem JSON with Retry-After
(webhooks too, so Stripe retries), never 500; /readyz says the database is down; when PostgreSQL
is back the same process serves again, without a restart."""

from __future__ import annotations

import json
import threading
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from payments.models import PaymentEvent
from tests.factories import bearer, login, register
from tests.payments.helpers import event, signed

pytestmark = pytest.mark.postgres_only


def _webhook(client, app, payload):
    body = json.dumps(payload).encode()
    secret = app.config["STRIPE_WEBHOOK_SECRET"]
    return client.post(
        "/api/v1/payments/stripe/webhook",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signed(body, secret=secret)},
    )


def _requests(client, app, user, tokens):
    return {
        "services": lambda: client.get("/api/v1/services?authority=NBG"),
        "me": lambda: client.get("/api/v1/me", headers=bearer(tokens)),
        "login": lambda: client.post(
            "/api/v1/auth/login", json={"email": user["email"], "password": "x" * 12}
        ),
        "webhook": lambda: _webhook(
            client, app, event("payment_intent.succeeded", "pi_fault_unknown", 3000)
        ),
    }


def test_database_down_is_503_with_retry_after_and_the_app_recovers_alone(pg_app, fault_postgres):
    client = pg_app.test_client()
    user = register(client)
    tokens = login(client, user["email"])
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200

    fault_postgres.halt()
    for name, request in _requests(client, pg_app, user, tokens).items():
        answer = request()
        assert answer.status_code == 503, (name, answer.get_data(as_text=True))
        assert answer.mimetype == "application/problem+json", name
        assert answer.get_json()["code"] == "service_unavailable", name
        assert answer.headers["Retry-After"] == "5", name
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.get_json()["status"] == "not_ready"
    assert ready.get_json()["checks"]["database"] == "unreachable"
    assert client.get("/healthz").status_code == 200

    fault_postgres.start()
    assert client.get("/api/v1/me", headers=bearer(tokens)).status_code == 200
    assert client.get("/readyz").get_json()["checks"]["database"] == "ok"
    payload = event("payment_intent.succeeded", "pi_fault_unknown", 3000)
    assert _webhook(client, pg_app, payload).status_code == 200  # Stripe's retry lands
    with pg_app.app_context():
        assert db.session.scalar(
            sa.select(PaymentEvent.gateway_event_id).where(
                PaymentEvent.gateway_event_id == payload["id"]
            )
        )


def test_steady_traffic_through_a_restart_meets_503s_and_no_500(pg_app, fault_postgres):
    client = pg_app.test_client()
    user = register(client)
    tokens = login(client, user["email"])
    seen: list[tuple[str, int]] = []
    stop = threading.Event()

    def traffic():
        own = pg_app.test_client()
        requests = _requests(own, pg_app, user, tokens)
        while not stop.is_set():
            for name in ("services", "me", "webhook"):
                seen.append((name, requests[name]().status_code))

    threads = [threading.Thread(target=traffic) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        fault_postgres.halt()
        time.sleep(1.5)
        fault_postgres.start()
        time.sleep(1.0)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    statuses = {status for _, status in seen}
    assert statuses <= {200, 503}, sorted(set(seen))
    assert 503 in statuses
    assert seen[-1][1] == 200 and seen[-2][1] == 200  # served again after the restart
