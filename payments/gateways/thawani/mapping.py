"""Thawani's words onto ours — the only place they meet.

Checkout session `payment_status`: unpaid → pending (expired once `expire_at` has passed: Thawani
has no "expired" word of its own as far as its SDKs show), paid → succeeded, cancelled → canceled.
Payment attempt `status`: successful is the captured one. A failed card attempt does not end the
session (the payer may try another card on the same page), so a `payment.failed` event leaves the
payment pending, with the failure noted. Refund `status`: see `REFUND_STATUSES`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from payments.gateways.base import GatewayPayment, GatewayRefund, PaymentStatus, RefundStatus

SESSION_STATUSES: dict[str, PaymentStatus] = {
    "unpaid": "pending",
    "paid": "succeeded",
    "cancelled": "canceled",
    "canceled": "canceled",
    "expired": "expired",
}
CAPTURED = "successful"
REFUND_STATUSES: dict[str, RefundStatus] = {
    "pending": "pending",
    "processing": "pending",
    "successful": "succeeded",
    "succeeded": "succeeded",
    "success": "succeeded",
    "refunded": "succeeded",
    "completed": "succeeded",
    "failed": "failed",
    "declined": "failed",
    "rejected": "failed",
    "cancelled": "canceled",
    "canceled": "canceled",
}


def parse_time(value: object) -> datetime | None:
    """Thawani's ISO-8601 times (`…Z` or with an offset); None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def payment_status(session: dict, now: datetime | None = None) -> PaymentStatus:
    status = SESSION_STATUSES.get(str(session.get("payment_status", "")).lower(), "pending")
    expires = parse_time(session.get("expire_at"))
    if status == "pending" and expires is not None and expires <= (now or datetime.now(UTC)):
        return "expired"
    return status


def _strings(metadata: object) -> dict[str, str]:
    if not isinstance(metadata, dict):
        return {}
    return {str(k): str(v) for k, v in metadata.items() if v is not None}


def card(attempt: dict | None) -> tuple[str | None, str | None]:
    """(brand, last four) from `card_type` and `masked_card` ("424242******4242")."""
    if not attempt:
        return None, None
    masked = str(attempt.get("masked_card") or "")
    digits = "".join(c for c in masked[-4:] if c.isdigit())
    brand = attempt.get("card_type")
    return (str(brand).lower() if brand else None), (digits if len(digits) == 4 else None)


def captured(attempts: list[dict]) -> dict | None:
    """The successful attempt of a checkout invoice, if any."""
    for attempt in attempts:
        if str(attempt.get("status", "")).lower() == CAPTURED:
            return attempt
    return None


def payment_from_session(session: dict, attempt: dict | None = None) -> GatewayPayment:
    """A session (and its captured attempt, when known) as our GatewayPayment."""
    brand, last4 = card(attempt)
    return GatewayPayment(
        gateway_ref=str(session["session_id"]),
        status=payment_status(session),
        amount_baisa=int(session.get("total_amount") or 0),
        charge_ref=str(attempt["payment_id"]) if attempt and attempt.get("payment_id") else None,
        card_brand=brand,
        card_last4=last4,
        metadata=_strings(session.get("metadata")),
    )


def payment_from_event(data: dict, failed: bool) -> GatewayPayment:
    """A `payment.*` event's attempt as our view of its session."""
    brand, last4 = card(data)
    succeeded = not failed and str(data.get("status", "")).lower() == CAPTURED
    return GatewayPayment(
        gateway_ref=str(data["session_id"]),
        status="succeeded" if succeeded else "pending",
        amount_baisa=int(data.get("amount") or 0),
        charge_ref=str(data["payment_id"]) if succeeded and data.get("payment_id") else None,
        card_brand=brand,
        card_last4=last4,
        failure_code="card_declined" if failed else None,
        failure_message=str(data.get("reason")) if failed and data.get("reason") else None,
        metadata=_strings(data.get("metadata")),
    )


def refund_from(data: dict) -> GatewayRefund:
    status = REFUND_STATUSES.get(str(data.get("status", "")).lower(), "pending")
    reason = data.get("failure_reason") or data.get("reason_failed")
    return GatewayRefund(
        refund_ref=str(data["refund_id"]),
        status=status,
        amount_baisa=int(data.get("amount") or 0),
        failure_reason=str(reason) if status == "failed" and reason else None,
        metadata=_strings(data.get("metadata")),
    )
