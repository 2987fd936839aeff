"""Reconciliation with the gateways (a periodic job): each payment is read, the gateway asked
with no transaction open, and what it says recorded under the payment's row lock."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa

from app import uow
from app.extensions import db
from app.timeutil import utcnow
from payments import gateways, lifecycle
from payments.confirmation import apply_gateway_status
from payments.gateways.base import GatewayPayment, GatewayRefused, GatewayUnavailable
from payments.models import Payment, ReconciliationFinding

log = logging.getLogger(__name__)
RECENT = dt.timedelta(days=2)
# What reconciliation may repair on its own (our words; what the gateway says of the money).
SAFE_REPAIRS = {"succeeded": lifecycle.SUCCEEDED, "canceled": lifecycle.CANCELED}


def reconcile_payments() -> int:
    """Compare open or recently changed payments with their gateway; repair what a missed
    webhook left behind (the gateway says succeeded or canceled), record everything else for
    finance. Each payment is its own unit of work. Returns the number of findings."""
    since = utcnow() - RECENT
    rows = db.session.execute(
        sa.select(Payment.id, Payment.gateway, Payment.gateway_intent_id)
        .where(
            sa.or_(Payment.state.in_(lifecycle.OPEN), Payment.updated_at >= since),
            Payment.gateway_intent_id.is_not(None),
        )
        .order_by(Payment.id)
    ).all()
    uow.release()
    findings = 0
    for payment_id, gateway, gateway_ref in rows:
        try:
            seen = gateways.plugin(gateway).retrieve_payment(gateway_ref)
        except GatewayUnavailable:
            log.warning("reconciliation stopped: gateway unavailable", extra={"gateway": gateway})
            break
        except GatewayRefused as error:
            if error.status != 404:
                raise
            seen = None
        with uow.transaction():
            findings += _record(payment_id, seen)
    return findings


def _record(payment_id: int, seen: GatewayPayment | None) -> int:
    """What the gateway said (None: it has no such payment), under the payment's row lock."""
    payment = db.session.scalar(
        sa.select(Payment)
        .where(Payment.id == payment_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if seen is None:
        return _finding(
            payment, "missing_at_gateway", None, False, "The gateway has no such payment intent."
        )
    if seen.amount_baisa != payment.amount_baisa:
        return _finding(
            payment, "amount_differs", seen.status, False, f"gateway amount {seen.amount_baisa}"
        )
    expected = SAFE_REPAIRS.get(seen.status)
    if expected is None or expected == payment.state:
        return 0
    local = payment.state
    outcome = apply_gateway_status(payment, seen, source="reconciliation")
    return _finding(
        payment, f"gateway_{seen.status}", seen.status, outcome == expected, outcome, local
    )


def _finding(payment, kind, gateway_state, repaired, note, local_state=None) -> int:
    """Record what was found; a difference already reported, and still the same, is not reported
    again on every run (finance would drown in copies)."""
    last = db.session.scalar(
        sa.select(ReconciliationFinding)
        .where(ReconciliationFinding.payment_id == payment.id)
        .order_by(ReconciliationFinding.id.desc())
        .limit(1)
    )
    if (
        not repaired
        and last is not None
        and (last.kind, last.gateway_state, last.local_state, last.repaired)
        == (kind, gateway_state, local_state or payment.state, False)
    ):
        return 0
    db.session.add(
        ReconciliationFinding(
            authority_id=payment.authority_id,
            payment_id=payment.id,
            kind=kind,
            local_state=local_state or payment.state,
            gateway_state=gateway_state,
            repaired=repaired,
            note=note[:300],
        )
    )
    log.info(
        "reconciliation finding",
        extra={"payment_id": payment.id, "kind": kind, "repaired": repaired},
    )
    return 1
