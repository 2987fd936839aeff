"""On PostgreSQL, with real concurrency: duplicate and shuffled deliveries confirm once."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from app.audit import AuditEntry
from app.catalogue.seed import seed_catalogue
from app.extensions import db
from app.notifications.models import Notification
from licensing.models import ApplicationEvent
from payments.models import Payment, PaymentEvent
from tests.conftest import build_app, clear_tables
from tests.payments.conftest import LiveServer, configure
from tests.payments.helpers import event, payment_pending, signed


@pytest.fixture(scope="module")
def pg_app(postgres_server, localstripe, tmp_path_factory):
    app = build_app(postgres_server.create_database("baladiya_payments_concurrency"))
    configure(app, localstripe)
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path_factory.mktemp("documents"))
    server = LiveServer(app)
    app.config["LIVE_URL"] = server.url
    yield app
    server.stop()


@pytest.fixture
def pg(pg_app):
    with pg_app.app_context():
        seed_catalogue()
        db.session.commit()
        db.session.remove()
    yield pg_app
    pg_app.extensions["jobs"].drain(30)
    clear_tables(pg_app)


def _deliver(app, payload: dict) -> int:
    body = json.dumps(payload).encode()
    response = requests.post(
        f"{app.config['LIVE_URL']}/api/v1/payments/stripe/webhook",
        data=body,
        timeout=30,
        headers={"Content-Type": "application/json", "Stripe-Signature": signed(body)},
    )
    return response.status_code


def _started(pg):
    client = pg.test_client()
    user, headers, application = payment_pending(pg, client)
    payment = client.post(
        f"/api/v1/applications/{application['id']}/payment", headers=headers
    ).get_json()
    return user, application, payment


def _counts(pg, user_id, payment_reference, application_id):
    with pg.app_context():
        return {
            "succeeded": db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEntry)
                .where(
                    AuditEntry.action == "payment.succeeded",
                    AuditEntry.subject_id == payment_reference,
                )
            ),
            "notices": db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(Notification.user_id == user_id, Notification.event == "payment_received")
            ),
            "confirmations": db.session.scalar(
                sa.select(sa.func.count())
                .select_from(ApplicationEvent)
                .where(
                    ApplicationEvent.application_id == application_id,
                    ApplicationEvent.action == "confirm_payment",
                )
            ),
            "state": db.session.scalar(
                sa.select(Payment.state).where(Payment.reference == payment_reference)
            ),
        }


def test_fifty_concurrent_deliveries_of_one_event_confirm_once(pg):
    user, application, payment = _started(pg)
    succeeded = event("payment_intent.succeeded", payment["gateway_intent_id"], 50000)
    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(lambda _: _deliver(pg, succeeded), range(50)))
    assert all(200 <= s < 300 for s in statuses), statuses
    assert pg.extensions["jobs"].drain(30)
    assert _counts(pg, user["id"], payment["reference"], application["id"]) == {
        "succeeded": 1,
        "notices": 3,
        "confirmations": 1,
        "state": "succeeded",
    }
    with pg.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 1


@pytest.mark.parametrize("seed", range(4))
def test_the_events_of_one_payment_in_any_order_confirm_once(pg, seed):
    user, application, payment = _started(pg)
    intent = payment["gateway_intent_id"]
    events = [
        event("payment_intent.payment_failed", intent, 50000),
        event("payment_intent.payment_failed", intent, 50000),
        event("payment_intent.succeeded", intent, 50000),
    ]
    deliveries = events * 5  # each event several times too
    random.Random(seed).shuffle(deliveries)
    with ThreadPoolExecutor(max_workers=15) as pool:
        statuses = list(pool.map(lambda payload: _deliver(pg, payload), deliveries))
    assert all(200 <= s < 300 for s in statuses), statuses
    assert pg.extensions["jobs"].drain(30)
    assert _counts(pg, user["id"], payment["reference"], application["id"]) == {
        "succeeded": 1,
        "notices": 3,
        "confirmations": 1,
        "state": "succeeded",
    }


@pytest.mark.parametrize("keyed", [False, True], ids=["double-click", "same-idempotency-key"])
def test_twin_payment_requests_make_one_payment_and_one_intent(pg, keyed):
    client = pg.test_client()
    _, headers, application = payment_pending(pg, client)
    if keyed:
        headers = {**headers, "Idempotency-Key": "twin-clicks-1"}
    url = f"{pg.config['LIVE_URL']}/api/v1/applications/{application['id']}/payment"

    def pay(_):
        response = requests.post(url, headers=headers, timeout=30)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(pay, range(8)))
    assert {body["payment_id"] for _, body in answers} == {answers[0][1]["payment_id"]}
    assert {body["gateway_intent_id"] for _, body in answers} == {
        answers[0][1]["gateway_intent_id"]
    }
    statuses = sorted(status for status, _ in answers)
    # Without a key one caller made it (201) and the others got it back (200); with a key every
    # caller gets the first answer, status included.
    assert statuses == ([201] * 8 if keyed else [200] * 7 + [201])
    with pg.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Payment)
                .where(Payment.application_id == application["id"])
            )
            == 1
        )
