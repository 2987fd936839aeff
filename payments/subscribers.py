"""What payments does when another package states a fact (`app.events`): handlers take ids, run
after the fact's commit in their own unit of work, and are idempotent."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from app import uow
from app.events import publish, subscribe
from app.extensions import db
from payments import gateways, lifecycle
from payments.confirmation import apply_gateway_status
from payments.gateways.base import GatewayPayment, GatewayRefused
from payments.models import Payment

log = logging.getLogger(__name__)


@subscribe("application.payment_overdue")
def expire_open_payments(application_id: int) -> str:
    """The application waited too long for its fee: its open payments are cancelled at their
    gateway (with no transaction open) and expired; one the gateway says was paid is a success
    instead. When nothing is paid, `payment.window_closed` is published (licensing then cancels
    the application). A gateway that cannot be reached raises `GatewayUnavailable`: the delivery
    job is tried again."""
    open_rows = db.session.execute(
        sa.select(Payment.id, Payment.gateway, Payment.gateway_intent_id).where(
            Payment.application_id == application_id, Payment.state.in_(lifecycle.OPEN)
        )
    ).all()
    uow.release()  # read only so far (this delivery's look-ups included)
    seen = {payment_id: _cancel_at_gateway(gateway, ref) for payment_id, gateway, ref in open_rows}
    outcomes = [_apply(payment_id, answer) for payment_id, answer in seen.items()]
    paid = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Payment)
        .where(Payment.application_id == application_id, Payment.state == lifecycle.SUCCEEDED)
    )
    if paid:
        return "paid"
    if "kept open" in outcomes:
        return "kept open"
    publish("payment.window_closed", application_id=application_id)
    return "window closed"


def _cancel_at_gateway(gateway: str, gateway_ref: str | None) -> GatewayPayment | None:
    """The gateway's view after asking it to cancel; None when it never had the payment."""
    if gateway_ref is None:
        return None  # its object was never recorded: nobody holds what would pay it
    plugin = gateways.plugin(gateway)
    try:
        return plugin.cancel_payment(gateway_ref)
    except GatewayRefused as error:
        if error.status == 404:
            return None
        # Refused: perhaps paid this very moment. Its own word decides.
        return plugin.retrieve_payment(gateway_ref)


def _apply(payment_id: int, seen: GatewayPayment | None) -> str:
    """Under the payment's row lock, in this delivery's unit of work."""
    payment = db.session.scalar(
        sa.select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if payment.state not in lifecycle.OPEN:
        return payment.state  # a webhook came first
    if seen is not None and seen.status == "succeeded":
        return apply_gateway_status(payment, seen, source="expiry")
    if seen is not None and seen.status != "canceled":
        log.warning("open payment not cancelled", extra={"payment_id": payment_id})
        return "kept open"
    lifecycle.move(payment, lifecycle.EXPIRED, "unpaid expiry")
    return lifecycle.EXPIRED
