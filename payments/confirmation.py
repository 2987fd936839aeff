"""The gateway's word applied to a payment, once: the one place a payment moves after it starts.

A success publishes `payment.succeeded` in the same transaction (licensing moves the application
on, receipts issues the receipt and tells the payer, each after the commit)."""

from __future__ import annotations

import logging

from app.events import publish
from app.timeutil import utcnow
from payments import lifecycle
from payments.gateways.base import GatewayPayment
from payments.models import Payment

log = logging.getLogger(__name__)
# Our gateway words that move a payment, and the state each moves it to.
MOVES = {
    "succeeded": lifecycle.SUCCEEDED,
    "failed": lifecycle.FAILED,
    "canceled": lifecycle.CANCELED,
    "expired": lifecycle.EXPIRED,
}


def apply_gateway_status(payment: Payment, seen: GatewayPayment, source: str) -> str:
    """Move a payment the caller has locked to what the gateway says (`seen`), once; the
    caller's unit of work commits. Returns what happened, for the event's outcome."""
    target = MOVES.get(seen.status)
    if target is None:
        return f"ignored: {seen.status}"
    if payment.state == target and target != lifecycle.FAILED:
        return f"already {target}"
    if not lifecycle.WORKFLOW.allows(payment, target):
        return f"ignored: {payment.state} cannot become {target}"
    _write_details(payment, target, seen)
    lifecycle.move(payment, target, source)
    if target == lifecycle.SUCCEEDED:
        publish("payment.succeeded", payment_id=payment.id, application_id=payment.application_id)
    log.info("payment moved", extra={"payment_id": payment.id, "state": target})
    return target


def _write_details(payment: Payment, target: str, seen: GatewayPayment) -> None:
    if target == lifecycle.SUCCEEDED:
        payment.succeeded_at = utcnow()
        payment.gateway_charge_id = seen.charge_ref
        payment.card_brand = payment.card_brand or seen.card_brand
        payment.card_last4 = payment.card_last4 or seen.card_last4
        payment.failure_code = payment.failure_message = None
    elif target == lifecycle.CANCELED:
        payment.failure_code = (seen.failure_code or "canceled")[:100]
        payment.failure_message = None
    elif target == lifecycle.FAILED:
        payment.failure_code = (seen.failure_code or "payment_failed")[:100]
        payment.failure_message = (seen.failure_message or "")[:500]
