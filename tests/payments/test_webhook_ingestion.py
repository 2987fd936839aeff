"""Taking a webhook delivery in: Stripe's signature checked on the raw bytes, the event recorded
with one statement whether it is new or a duplicate, one job enqueued for a new event and none
for a duplicate (issue 13: ingestion at several hundred events a second)."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest
import sqlalchemy as sa

from app.extensions import db
from licensing.models import Application
from payments.gateways.base import GatewayPayment, GatewayRefund, WebhookRejected
from payments.gateways.stripe.webhooks import parse_webhook, signed_by_stripe
from payments.models import PaymentEvent
from payments.webhooks import PROCESS_EVENT, parsed, stored
from tests.payments.conftest import WEBHOOK_SECRET
from tests.payments.helpers import event, payment_pending, post_event, signed
from tests.statements import statements


@pytest.fixture
def stripe_app(app, monkeypatch):
    """The app taking Stripe's deliveries signed with the tests' secret (no gateway called)."""
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    return app


@pytest.fixture
def enqueued(app, monkeypatch):
    """The jobs handed to the backend (not run): (task, args, job id)."""
    handed = []
    monkeypatch.setattr(
        app.extensions["jobs"], "submit", lambda job, *a: handed.append(job), raising=True
    )
    return handed


def test_a_new_event_is_one_insert_and_one_job_a_duplicate_one_insert_and_no_job(
    stripe_app, client, enqueued
):
    payload = event("payment_intent.succeeded", "pi_ingest_once", 3000)
    with statements(stripe_app) as sent:
        first = post_event(client, payload)
    assert first.status_code == 200 and first.get_json() == {"received": True}
    assert len(sent) == 1, sent.text()
    assert sent[0].startswith("INSERT INTO payment_events") and "ON CONFLICT" in sent[0]
    with stripe_app.app_context():
        row_id = db.session.scalar(sa.select(PaymentEvent.id))
    assert [(j.task, j.args, j.job_id, j.queue) for j in enqueued] == [
        (PROCESS_EVENT, (row_id,), f"payment-event-{row_id}", "high")
    ]

    with statements(stripe_app) as sent:
        again = post_event(client, payload)  # Stripe's retry of the same event
    assert again.status_code == 200 and again.get_json() == {"received": True}
    assert len(sent) == 1, sent.text()
    assert len(enqueued) == 1  # nothing more for the duplicate
    with stripe_app.app_context():
        rows = db.session.execute(
            sa.select(PaymentEvent.gateway_event_id, PaymentEvent.type, PaymentEvent.processed_at)
        ).all()
    assert rows == [(payload["id"], "payment_intent.succeeded", None)]


def test_the_recorded_event_reads_back_as_parsed(stripe_app, client, enqueued):
    payload = event("payment_intent.succeeded", "pi_stored_1", 12_500, latest_charge="ch_9")
    assert post_event(client, payload).status_code == 200
    with stripe_app.app_context():
        row = db.session.scalars(sa.select(PaymentEvent)).one()
        recorded = parsed(row.payload)
    assert (recorded.event_id, recorded.kind, recorded.gateway_ref) == (
        payload["id"],
        "payment",
        "pi_stored_1",
    )
    assert recorded.payment == GatewayPayment(
        gateway_ref="pi_stored_1", status="succeeded", amount_baisa=12_500, charge_ref="ch_9"
    )
    assert recorded.payload == payload and row.gateway_intent_id == "pi_stored_1"


def _delivery(**extra):
    body = json.dumps(event("payment_intent.succeeded", "pi_sig", 3000, **extra)).encode()
    return body, signed(body)


def test_stored_is_what_asdict_gives():
    body, header = _delivery(metadata={"payment": "pay-1"})
    payment_event = parse_webhook(body, {"Stripe-Signature": header}, WEBHOOK_SECRET)
    assert stored(payment_event) == asdict(payment_event)
    refund = json.dumps(
        {
            "id": "evt_r1",
            "type": "refund.updated",
            "data": {
                "object": {
                    "id": "re_1",
                    "object": "refund",
                    "payment_intent": "pi_sig",
                    "amount": 500,
                    "status": "succeeded",
                    "metadata": {"refund": "RF-1"},
                }
            },
        }
    ).encode()
    refund_event = parse_webhook(refund, {"Stripe-Signature": signed(refund)}, WEBHOOK_SECRET)
    assert refund_event.refund == GatewayRefund("re_1", "succeeded", 500, None, {"refund": "RF-1"})
    assert stored(refund_event) == asdict(refund_event)


def test_a_signature_made_with_any_of_the_secrets_being_rolled_is_accepted():
    body, header = _delivery()
    timestamp = header.split(",")[0]
    other = signed(body, secret="whsec_the_old_one").split(",")[1]
    rolled = f"{timestamp},{other},{header.split(',')[1]},v0=6ffbb59b2300aae63f2727"
    assert parse_webhook(body, {"Stripe-Signature": rolled}, WEBHOOK_SECRET).kind == "payment"


@pytest.mark.parametrize(
    "header",
    [
        "v1=0123",  # no timestamp
        "t=1700000000",  # no signature
        "t=abc,v1=0123",
        "t=١٧٠٠٠٠٠٠٠٠,v1=0123",  # digits, but not ASCII ones
        "t=1700000000,v0=0123",  # only a scheme we do not take
        "t=1700000000,v1=é",
    ],
)
def test_a_malformed_signature_header_is_refused(header):
    body, _ = _delivery()
    with pytest.raises(WebhookRejected) as refused:
        parse_webhook(body, {"Stripe-Signature": header}, WEBHOOK_SECRET)
    assert refused.value.code == "signature_invalid"


def test_the_timestamp_is_within_five_minutes():
    body, header = _delivery()
    timestamp = int(header.split(",")[0][2:])
    assert signed_by_stripe(body, header, WEBHOOK_SECRET, now=timestamp + 300)
    assert not signed_by_stripe(body, header, WEBHOOK_SECRET, now=timestamp + 301)


def test_a_signed_body_that_is_not_an_event_is_payload_invalid():
    bodies = (b"not json", b"[1, 2]", b'{"id": "evt_1"}', b'{"id": "e", "type": "x", "data": 5}')
    for body in bodies:
        with pytest.raises(WebhookRejected) as refused:
            parse_webhook(body, {"Stripe-Signature": signed(body)}, WEBHOOK_SECRET)
        assert refused.value.code == "payload_invalid", body


def test_applying_a_success_is_one_look_up_then_the_locked_row_and_its_writes(
    stripe_app, client, enqueued, backend_name
):
    """The job of a recorded success whose event carries the card (so no gateway call): a
    lazy load coming back, or a look-up made twice, is one more statement here."""
    from jobs.runner import execute
    from payments import lifecycle
    from payments.models import Payment

    user, _, application = payment_pending(stripe_app, client)
    with stripe_app.app_context():
        payment = Payment(
            reference=f"PAY-{application['reference']}-1",
            authority_id=db.session.scalar(
                sa.select(Application.authority_id).where(Application.id == application["id"])
            ),
            application_id=application["id"],
            payer_id=user["id"],
            amount_baisa=3000,
            state=lifecycle.PENDING,
            gateway_intent_id="pi_job_count",
        )
        db.session.add(payment)
        db.session.commit()
    charge = {"id": "ch_1", "payment_method_details": {"card": {"brand": "visa", "last4": "4242"}}}
    payload = event("payment_intent.succeeded", "pi_job_count", 3000, latest_charge=charge)
    assert post_event(client, payload).status_code == 200
    (job,) = [j for j in enqueued if j.task == PROCESS_EVENT]
    with stripe_app.app_context(), statements(stripe_app) as sent:
        assert execute(job.task, *job.args) == "succeeded"
    # the event; the payment locked; the fact published; the payment and the event written; the
    # audit row on its hash chain: the head locked and read (PostgreSQL: one SELECT ... FOR
    # UPDATE; SQLite, without row locks: an UPDATE that takes the write lock, then the SELECT),
    # the row, the new head
    assert len(sent) == {"postgresql": 8, "sqlite": 9}[backend_name], sent.text()
    if backend_name == "postgresql":
        assert sent.touching("payments")[0].endswith("FOR UPDATE"), sent.text()


def _in_autocommit(dbapi_connection) -> bool:
    if hasattr(dbapi_connection, "autocommit"):  # psycopg
        return dbapi_connection.autocommit
    return dbapi_connection.isolation_level is None  # sqlite3 (Python 3.11)


@pytest.mark.committed
def test_the_delivery_is_recorded_in_autocommit_and_its_job_sent_once(stripe_app, client, enqueued):
    """No BEGIN or COMMIT around the one INSERT (two round trips of three); the row is there
    for another connection once answered, the job sent once, and a duplicate sends none."""
    with stripe_app.app_context():
        engine = db.engine
    seen: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0], _in_autocommit(conn.connection.dbapi_connection)))

    payload = event("payment_intent.succeeded", "pi_autocommit", 3000)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert post_event(client, payload).status_code == 200
        assert post_event(client, payload).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert seen == [("INSERT", True), ("INSERT", True)], seen
    with engine.connect() as other:
        (row_id,) = other.execute(
            sa.select(PaymentEvent.id).where(PaymentEvent.gateway_event_id == payload["id"])
        ).scalars()
    assert [(j.task, j.args) for j in enqueued] == [(PROCESS_EVENT, (row_id,))]
