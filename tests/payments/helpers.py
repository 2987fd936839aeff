"""Building Stripe events as Stripe signs them, and applications waiting for payment."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

from app.extensions import db
from payments import lifecycle
from payments.models import Payment
from tests.factories import applicant_headers
from tests.licensing.helpers import LEASE, act, upload_mandatory
from tests.payments.conftest import WEBHOOK_SECRET


def payment_pending(app, client):
    """An applicant with a lease application waiting for its fee."""
    user, headers = applicant_headers(client)
    created = client.post("/api/v1/leases", json=LEASE, headers=headers).get_json()
    upload_mandatory(app, client, headers, created["id"])
    assert act(client, headers, created["id"], "submit").get_json()["state"] == "payment_pending"
    return user, headers, created


def event(kind: str, intent_id: str, amount: int, **extra) -> dict:
    obj = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "currency": "omr",
        "status": {
            "payment_intent.succeeded": "succeeded",
            "payment_intent.payment_failed": "requires_payment_method",
            "payment_intent.canceled": "canceled",
        }[kind],
        **extra,
    }
    if kind == "payment_intent.payment_failed":
        obj["last_payment_error"] = {"code": "card_declined", "message": "Your card was declined."}
    return {
        "id": f"evt_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "api_version": "2024-06-20",
    }


def signed(body: bytes, timestamp: int | None = None, secret: str = WEBHOOK_SECRET) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={signature}"


def post_event(client, payload: dict, **sign):
    body = json.dumps(payload).encode()
    return client.post(
        "/api/v1/payments/stripe/webhook",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signed(body, **sign)},
    )


def succeeded_payment(**fields) -> Payment:
    """A payment row already paid (test set-up): made pending and taken to succeeded through its
    workflow, the one writer of its state."""
    payment = Payment(state=lifecycle.PENDING, **fields)
    db.session.add(payment)
    db.session.flush()
    lifecycle.move(payment, lifecycle.SUCCEEDED, "test set-up")
    return payment
