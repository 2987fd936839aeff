"""Stripe's webhooks: the signature on the raw body (`Stripe-Signature`, five minutes'
tolerance), and its events parsed into ours."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import stripe

from app.i18n import N_
from payments.gateways.base import GatewayEvent, PaymentStatus, WebhookRejected
from payments.gateways.stripe.mapping import payment_of, refund_of

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
# The payment events we act on, and what each says of the payment.
PAYMENT_EVENTS: dict[str, PaymentStatus] = {
    "payment_intent.succeeded": "succeeded",
    "payment_intent.payment_failed": "failed",
    "payment_intent.canceled": "canceled",
}
REFUND_EVENTS = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)


def parse_webhook(body: bytes, headers: Mapping[str, str], secret: str) -> GatewayEvent:
    """Verify and parse one delivery; WebhookRejected when it is not Stripe's or unreadable."""
    signature = headers.get(SIGNATURE_HEADER)
    if not signature:
        raise WebhookRejected("signature_missing", N_("The Stripe-Signature header is missing."))
    try:
        event = stripe.Webhook.construct_event(body, signature, secret, tolerance=TOLERANCE_SECONDS)
    except (stripe.SignatureVerificationError, ValueError) as error:
        raise WebhookRejected(
            "signature_invalid", N_("The webhook signature is not valid.")
        ) from error
    try:
        return event_of(event.to_dict())
    except (KeyError, TypeError, ValueError) as error:
        raise WebhookRejected("payload_invalid") from error


def event_of(data: dict[str, Any]) -> GatewayEvent:
    """A Stripe event (as JSON) in our words."""
    kind, obj = data["type"], (data.get("data") or {}).get("object") or {}
    ref = obj.get("id") if obj.get("object") == "payment_intent" else obj.get("payment_intent")
    common = {"event_id": data["id"], "gateway_ref": ref, "payload": data, "type": kind}
    if kind in PAYMENT_EVENTS:
        return GatewayEvent(kind="payment", payment=payment_of(obj, PAYMENT_EVENTS[kind]), **common)
    if kind in REFUND_EVENTS:
        return GatewayEvent(kind="refund", refund=refund_of(obj), **common)
    return GatewayEvent(kind="other", **common)
