"""Thawani webhook deliveries: verification on the raw bytes and parsing into `GatewayEvent`.

Thawani signs `{raw body}-{thawani-timestamp}` with HMAC-SHA256 and the webhook secret, hex
digest in `thawani-signature`; the timestamp is Unix seconds. It sends no event id, so one is
derived from what the event is about (type, object id, status): a re-delivery of the same fact
gets the same id, whatever its timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping

from payments.gateways.base import GatewayEvent, WebhookRejected
from payments.gateways.thawani import mapping

SIGNATURE_HEADER = "thawani-signature"
TIMESTAMP_HEADER = "thawani-timestamp"
TOLERANCE_SECONDS = 300


def signature(body: bytes, timestamp: str, secret: str) -> str:
    """The hex HMAC-SHA256 Thawani sends for `body` at `timestamp`."""
    signed = body + b"-" + timestamp.encode()
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return (value or "").strip()
    return ""


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> None:
    """Raise WebhookRejected unless the delivery carries a valid, fresh signature."""
    given = _header(headers, SIGNATURE_HEADER)
    timestamp = _header(headers, TIMESTAMP_HEADER)
    if not given or not timestamp:
        raise WebhookRejected("signature_missing", "no thawani-signature/thawani-timestamp")
    if not timestamp.isdigit():
        raise WebhookRejected("signature_invalid", "thawani-timestamp is not Unix seconds")
    expected = signature(body, timestamp, secret)
    if not hmac.compare_digest(expected, given.lower()):
        raise WebhookRejected("signature_invalid", "thawani-signature does not match")
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        raise WebhookRejected("signature_invalid", "thawani-timestamp outside the tolerance")


def event_id(event_type: str, data: dict) -> str:
    """Stable per fact: the same event type about the same object in the same status."""
    subject = data.get("refund_id") or data.get("payment_id") or data.get("session_id") or ""
    status = data.get("status") or data.get("payment_status") or ""
    digest = hashlib.sha256(f"{event_type}|{subject}|{status}".encode()).hexdigest()
    return f"thawani:{digest[:40]}"


def parse(body: bytes, headers: Mapping[str, str], secret: str) -> GatewayEvent:
    """Verify, then parse: `checkout.*` and `payment.*` are about a payment (the checkout
    session), `refund.*` about a refund; any other type is `other`, kept but not acted on."""
    verify(body, headers, secret)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise WebhookRejected("payload_invalid", "body is not JSON") from error
    if not isinstance(payload, dict) or not isinstance(payload.get("event_type"), str):
        raise WebhookRejected("payload_invalid", "no event_type")
    event_type = payload["event_type"]
    data = payload.get("data")
    if not isinstance(data, dict):
        raise WebhookRejected("payload_invalid", "no data object")
    family = event_type.split(".", 1)[0]
    stable_id = payload.get("event_id") or payload.get("id")
    ident = f"thawani:{stable_id}" if stable_id else event_id(event_type, data)
    if family == "checkout" and data.get("session_id"):
        payment = mapping.payment_from_session(data)
        return GatewayEvent(
            ident, "payment", payment.gateway_ref, payment=payment, payload=payload, type=event_type
        )
    if family == "payment" and data.get("session_id"):
        payment = mapping.payment_from_event(data, failed=event_type == "payment.failed")
        return GatewayEvent(
            ident, "payment", payment.gateway_ref, payment=payment, payload=payload, type=event_type
        )
    if family == "refund" and data.get("refund_id"):
        refund = mapping.refund_from(data)
        return GatewayEvent(
            ident, "refund", data.get("session_id"), refund=refund, payload=payload, type=event_type
        )
    return GatewayEvent(ident, "other", data.get("session_id"), payload=payload, type=event_type)
