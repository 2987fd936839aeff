"""Paying fees through Stripe (localstripe here): confirmed exactly once, refused when unsigned."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import sqlalchemy as sa
import stripe

from app.audit import AuditEntry
from app.extensions import db
from app.money import parse_omr
from app.notifications.models import Notification
from app.timeutil import utcnow
from payments.models import Payment, PaymentEvent
from tests.factories import staff_headers
from tests.payments.conftest import wait_for
from tests.payments.helpers import event, payment_pending, post_event, signed
from tests.payments.proxy import RecordingProxy


def _state(client, headers, application_id):
    return client.get(f"/api/v1/applications/{application_id}", headers=headers).get_json()["state"]


def test_pay_with_a_test_card_and_the_webhook_moves_the_application_on(
    stripe_app, live, localstripe, client
):
    user, headers, application = payment_pending(stripe_app, client)
    started = client.post(f"/api/v1/applications/{application['id']}/payment", headers=headers)
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    assert body["amount"] == application["fee"] and body["currency"] == "OMR"
    assert body["client_secret"].startswith(body["gateway_intent_id"]) and body[
        "publishable_key"
    ].startswith("pk_")
    again = client.post(f"/api/v1/applications/{application['id']}/payment", headers=headers)
    assert again.status_code == 200 and again.get_json()["payment_id"] == body["payment_id"]

    intent = localstripe.pay(body["gateway_intent_id"])
    assert intent.status == "succeeded"
    wait_for(lambda: _state(client, headers, application["id"]) == "in_review")
    assert stripe_app.extensions["jobs"].drain(15)
    detail = client.get(f"/api/v1/applications/{application['id']}", headers=headers).get_json()
    assert detail["sla"]["state"] in ("on_track", "at_risk") and detail["sla"]["started_at"]
    with stripe_app.app_context():
        payment = db.session.get(Payment, body["payment_id"])
        assert (payment.state, payment.card_last4, payment.card_brand) == (
            "succeeded",
            "4242",
            "visa",
        )
        assert payment.gateway_charge_id.startswith("ch_")
        notices = db.session.scalars(
            sa.select(Notification.channel).where(
                Notification.user_id == user["id"], Notification.event == "payment_received"
            )
        ).all()
        assert sorted(notices) == ["email", "in_app", "sms"]


def test_a_declined_card_leaves_the_application_payable(stripe_app, live, localstripe, client):
    _, headers, application = payment_pending(stripe_app, client)
    body = client.post(
        f"/api/v1/applications/{application['id']}/payment", headers=headers
    ).get_json()
    # localstripe declines charges on 4000000000000341 (Stripe's "attaches, then the charge fails");
    # it refuses 4000000000000002 already when the card is attached, before any payment attempt.
    with pytest.raises(stripe.CardError):
        localstripe.pay(body["gateway_intent_id"], card="4000000000000341")

    def failed():
        with stripe_app.app_context():
            return (
                db.session.get(Payment, body["payment_id"], populate_existing=True).state
                == "failed"
            )

    wait_for(failed)
    with stripe_app.app_context():
        payment = db.session.get(Payment, body["payment_id"])
        assert payment.failure_code and payment.failure_message
    assert _state(client, headers, application["id"]) == "payment_pending"
    retry = client.post(f"/api/v1/applications/{application['id']}/payment", headers=headers)
    assert retry.status_code == 200 and retry.get_json()["payment_id"] == body["payment_id"]
    assert retry.get_json()["client_secret"] == body["client_secret"]
    # On Stripe the same intent then takes another card; localstripe cannot confirm an intent again
    # after a failed charge, so the second attempt is not played here.


def test_a_canceled_intent_keeps_the_reason_and_leaves_the_application_payable(
    stripe_app, localstripe, client
):
    _, headers, application = payment_pending(stripe_app, client)
    url = f"/api/v1/applications/{application['id']}/payment"
    first = client.post(url, headers=headers).get_json()
    canceled = event(
        "payment_intent.canceled",
        first["gateway_intent_id"],
        50000,
        cancellation_reason="abandoned",
    )
    assert post_event(client, canceled).status_code == 200
    assert stripe_app.extensions["jobs"].drain(10)
    with stripe_app.app_context():
        payment = db.session.get(Payment, first["payment_id"])
        assert (payment.state, payment.failure_code) == ("canceled", "abandoned")
    assert _state(client, headers, application["id"]) == "payment_pending"
    second = client.post(url, headers=headers)
    assert second.status_code == 201
    assert second.get_json()["reference"].endswith("-2")
    assert second.get_json()["gateway_intent_id"] != first["gateway_intent_id"]


@pytest.mark.parametrize(
    "tamper",
    ["bad signature", "missing header", "too old", "altered body"],
)
def test_unsigned_or_tampered_webhooks_are_refused_and_change_nothing(
    stripe_app, localstripe, client, tamper
):
    _, headers, application = payment_pending(stripe_app, client)
    body = client.post(
        f"/api/v1/applications/{application['id']}/payment", headers=headers
    ).get_json()
    payload = event("payment_intent.succeeded", body["gateway_intent_id"], 50000)
    raw = json.dumps(payload).encode()
    header = {
        "bad signature": signed(raw, secret="whsec_wrong"),
        "missing header": None,
        "too old": signed(raw, timestamp=int(time.time()) - 301),
        "altered body": signed(raw),
    }[tamper]
    if tamper == "altered body":
        raw = raw.replace(b'"succeeded"', b'"succeeded" ', 1)
    response = client.post(
        "/api/v1/payments/stripe/webhook",
        data=raw,
        content_type="application/json",
        headers={"Stripe-Signature": header} if header else {},
    )
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["code"] in ("signature_missing", "signature_invalid")
    assert stripe_app.extensions["jobs"].drain(10)
    with stripe_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 0
        assert db.session.get(Payment, body["payment_id"]).state == "pending"
    assert _state(client, headers, application["id"]) == "payment_pending"


def test_events_for_unknown_intents_are_acknowledged(stripe_app, localstripe, client):
    response = post_event(client, event("payment_intent.succeeded", "pi_unknown123", 1000))
    assert response.status_code == 200
    assert stripe_app.extensions["jobs"].drain(10)
    with stripe_app.app_context():
        assert db.session.scalar(sa.select(PaymentEvent.outcome)) == "unknown intent"


def test_gateway_outage_gives_503_then_the_same_key_succeeds_once(stripe_app, localstripe, client):
    _, headers, application = payment_pending(stripe_app, client)
    keyed = {**headers, "Idempotency-Key": "pay-once-123", "Accept-Language": "en"}
    url = f"/api/v1/applications/{application['id']}/payment"
    localstripe.stop()
    try:
        down = client.post(url, headers=keyed)
        assert down.status_code == 503 and down.get_json()["code"] == "gateway_unavailable"
        assert int(down.headers["Retry-After"]) > 0
        with stripe_app.app_context():
            # Recorded before the call (issue 12: record → call → record); no intent yet.
            assert db.session.execute(
                sa.select(Payment.state, Payment.gateway_intent_id)
            ).all() == [("pending", None)]
    finally:
        localstripe.start()
    first = client.post(url, headers=keyed)
    assert first.status_code == 201
    second = client.post(url, headers=keyed)
    assert (second.status_code, second.get_json()) == (201, first.get_json())
    other_body = client.post(url, headers=keyed, json={"note": "different"})
    assert (
        other_body.status_code == 409 and other_body.get_json()["code"] == "idempotency_key_reused"
    )
    with stripe_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 1
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuditEntry)
                .where(AuditEntry.action == "payment.created")
            )
            == 1
        )


def test_an_answer_lost_after_the_gateway_acted_is_retried_with_the_same_key(
    stripe_app, localstripe, client
):
    """Stripe makes the intent, then its answer is lost: the payment is kept without it (503), and
    the retry resumes it and asks again with the same idempotency key and the same parameters,
    so Stripe hands back the intent it made. localstripe ignores idempotency keys and makes a
    second intent instead; what this test can show, and does, is that our side sends what Stripe
    needs to avoid that."""
    proxy = RecordingProxy(localstripe.url)
    stripe_app.config["STRIPE_API_BASE"] = proxy.url
    try:
        _, headers, application = payment_pending(stripe_app, client)
        url = f"/api/v1/applications/{application['id']}/payment"
        proxy.lose_next_answer("POST", "/v1/payment_intents")
        lost = client.post(url, headers={**headers, "Accept-Language": "en"})
        assert lost.status_code == 503 and lost.get_json()["code"] == "gateway_unavailable"
        with stripe_app.app_context():
            assert db.session.execute(
                sa.select(Payment.state, Payment.gateway_intent_id)
            ).all() == [("pending", None)]
        retried = client.post(url, headers=headers)
        assert retried.status_code == 201
    finally:
        stripe_app.config["STRIPE_API_BASE"] = localstripe.url
        proxy.stop()
    creates = [s for s in proxy.seen if (s.method, s.path) == ("POST", "/v1/payment_intents")]
    assert len(creates) == 2
    body = retried.get_json()
    assert [c.headers["idempotency-key"] for c in creates] == [body["reference"]] * 2
    assert creates[0].form == creates[1].form
    assert creates[0].form["amount"] == str(parse_omr(application["fee"]))
    assert creates[0].form["currency"] == "omr"
    assert creates[0].form["metadata[application]"] == application["reference"]
    assert creates[0].form["metadata[authority]"] == "NBG"
    assert creates[0].form["metadata[payment]"] == body["reference"]


def test_webhooks_are_taken_during_a_maintenance_window(stripe_app, localstripe, client):
    """Stripe does not wait for our maintenance: a payment made just before a window still lands."""
    _, headers, application = payment_pending(stripe_app, client)
    body = client.post(
        f"/api/v1/applications/{application['id']}/payment", headers=headers
    ).get_json()
    _, admin = staff_headers(stripe_app, client, "admin", "NBG")
    start = utcnow() - dt.timedelta(minutes=1)
    window = {
        "starts_at": start.isoformat(),
        "ends_at": (start + dt.timedelta(hours=1)).isoformat(),
        "message_ar": "صيانة",
        "message_en": "Maintenance",
        "all_authorities": True,
    }
    assert client.post("/api/v1/announcements", json=window, headers=admin).status_code == 201
    assert client.post("/api/v1/auth/register", json={}).status_code == 503  # writes are off
    paid = event("payment_intent.succeeded", body["gateway_intent_id"], 3000)
    assert post_event(client, paid).status_code == 200
    assert stripe_app.extensions["jobs"].drain(15)
    with stripe_app.app_context():
        assert db.session.get(Payment, body["payment_id"]).state == "succeeded"


def test_a_signed_event_with_a_direction_mark_in_a_cardholder_name_is_applied(
    stripe_app, localstripe, client
):
    """The edge refuses direction controls in names we are sent, but a gateway's signed event is
    Stripe's record, not input to refuse: refusing it would make Stripe retry it for days."""
    _, headers, application = payment_pending(stripe_app, client)
    body = client.post(
        f"/api/v1/applications/{application['id']}/payment", headers=headers
    ).get_json()
    paid = event(
        "payment_intent.succeeded",
        body["gateway_intent_id"],
        3000,
        billing_details={"name": "\u200fسالم الحارثي\u202e", "line_name": "a\x01b"},
    )
    assert post_event(client, paid).status_code == 200
    assert stripe_app.extensions["jobs"].drain(15)
    with stripe_app.app_context():
        assert db.session.get(Payment, body["payment_id"]).state == "succeeded"


def test_an_event_recorded_before_the_gateway_plugins_is_still_applied(
    stripe_app, localstripe, client
):
    """A row kept from before migration 0019 holds Stripe's own JSON, not our parsed event:
    the job that was queued for it still cancels the payment it names."""
    from jobs.runner import execute
    from payments.webhooks import PROCESS_EVENT

    _, headers, application = payment_pending(stripe_app, client)
    first = client.post(f"/api/v1/applications/{application['id']}/payment", headers=headers)
    intent_id = first.get_json()["gateway_intent_id"]
    raw = event("payment_intent.canceled", intent_id, 50000, cancellation_reason="duplicate")
    with stripe_app.app_context():
        row = PaymentEvent(
            gateway="stripe",
            gateway_event_id=raw["id"],
            type=raw["type"],
            gateway_intent_id=intent_id,
            payload=raw,
        )
        db.session.add(row)
        db.session.commit()
        assert execute(PROCESS_EVENT, row.id) == "canceled"
        payment = db.session.get(Payment, first.get_json()["payment_id"])
        assert (payment.state, payment.failure_code) == ("canceled", "duplicate")
