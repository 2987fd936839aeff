"""Stripe's objects in our words: its statuses mapped onto ours here and nowhere else."""

from __future__ import annotations

from typing import Any

from payments.gateways.base import GatewayPayment, GatewayRefund, PaymentStatus, RefundStatus

# A PaymentIntent's status. requires_payment_method is "failed" once an attempt failed (it carries
# last_payment_error), "pending" before any attempt; the other requires_* wait for the client.
INTENT_STATUS: dict[str, PaymentStatus] = {
    "requires_payment_method": "pending",
    "requires_confirmation": "pending",
    "requires_action": "pending",
    "requires_capture": "processing",
    "processing": "processing",
    "succeeded": "succeeded",
    "canceled": "canceled",
}
# A refund's; requires_action (some payment methods) waits like pending.
REFUND_STATUS: dict[str, RefundStatus] = {
    "pending": "pending",
    "requires_action": "pending",
    "succeeded": "succeeded",
    "failed": "failed",
    "canceled": "canceled",
}


def payment_status(data: dict[str, Any]) -> PaymentStatus:
    status = data.get("status") or "requires_payment_method"
    if status == "requires_payment_method" and data.get("last_payment_error"):
        return "failed"
    return INTENT_STATUS.get(status, "pending")


def payment_of(data: dict[str, Any], status: PaymentStatus | None = None) -> GatewayPayment:
    """A PaymentIntent (its `latest_charge` expanded or not) as a GatewayPayment; `status` when
    the event that carries it says more than the object does."""
    status = status or payment_status(data)
    charge = data.get("latest_charge")
    card: dict[str, Any] = {}
    if isinstance(charge, dict):
        card = (charge.get("payment_method_details") or {}).get("card") or {}
        charge = charge.get("id")
    error = data.get("last_payment_error") or {}
    failure_code = error.get("code")
    if status == "canceled":
        # abandoned, duplicate, requested_by_customer, automatic, ...
        failure_code = data.get("cancellation_reason")
    return GatewayPayment(
        gateway_ref=data["id"],
        status=status,
        amount_baisa=int(data.get("amount") or 0),
        charge_ref=charge,
        card_brand=card.get("brand"),
        card_last4=card.get("last4"),
        failure_code=failure_code,
        failure_message=error.get("message"),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
    )


def refund_of(data: dict[str, Any]) -> GatewayRefund:
    return GatewayRefund(
        refund_ref=data["id"],
        status=REFUND_STATUS.get(data.get("status") or "pending", "pending"),
        amount_baisa=int(data.get("amount") or 0),
        failure_reason=data.get("failure_reason"),
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
    )
