"""Reconciliation with the gateway, and the expiry of unpaid applications (periodic jobs)."""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from flask import current_app

from app.audit import record_change
from app.extensions import db
from app.notifications.services import notify
from app.timeutil import utcnow
from licensing.lifecycle import State
from licensing.models import Application
from licensing.services import SYSTEM, transition
from payments import lifecycle
from payments.gateway import GatewayRefused, GatewayUnavailable, gateway
from payments.models import Payment, ReconciliationFinding
from payments.services import apply_gateway_status

log = logging.getLogger(__name__)
RECENT = dt.timedelta(days=2)
# Stripe's status → ours, for what reconciliation may repair on its own.
SAFE_REPAIRS = {"succeeded": lifecycle.SUCCEEDED, "canceled": lifecycle.CANCELED}


def reconcile_payments() -> int:
    """Compare open or recently changed payments with the gateway; repair what a missed webhook
    left behind (the gateway says succeeded or canceled), record everything else for finance.
    Returns the number of findings."""
    since = utcnow() - RECENT
    ids = list(
        db.session.scalars(
            sa.select(Payment.id)
            .where(sa.or_(Payment.state.in_(lifecycle.OPEN), Payment.updated_at >= since))
            .order_by(Payment.id)
        )
    )
    db.session.rollback()
    findings = 0
    for payment_id in ids:
        try:
            findings += _reconcile_one(payment_id)
        except GatewayUnavailable:
            db.session.rollback()
            log.warning("reconciliation stopped: gateway unavailable")
            break
    return findings


def _reconcile_one(payment_id: int) -> int:
    payment = db.session.scalar(
        sa.select(Payment).where(Payment.id == payment_id).with_for_update()
    )
    if payment.gateway_intent_id is None:
        db.session.rollback()
        return 0
    try:
        intent = gateway().retrieve_intent(payment.gateway_intent_id)
    except GatewayRefused as error:
        if error.status != 404:
            raise
        found = _finding(
            payment, "missing_at_gateway", None, False, "The gateway has no such payment intent."
        )
        db.session.commit()
        return found
    expected = SAFE_REPAIRS.get(intent.status)
    if intent.amount != payment.amount_baisa:
        found = _finding(
            payment, "amount_differs", intent.status, False, f"gateway amount {intent.amount}"
        )
        db.session.commit()
        return found
    if expected is None or expected == payment.state:
        db.session.rollback()
        return 0
    local = payment.state
    outcome = apply_gateway_status(payment, expected, intent, source="reconciliation")
    repaired = outcome == expected
    found = _finding(
        payment, f"gateway_{intent.status}", intent.status, repaired, outcome, local_state=local
    )
    db.session.commit()
    return found


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


def expire_unpaid_applications() -> int:
    """Applications waiting for payment longer than UNPAID_EXPIRY_DAYS are cancelled, their open
    payment expired (its intent cancelled at the gateway first), and the applicant told."""
    cutoff = utcnow() - dt.timedelta(days=current_app.config["UNPAID_EXPIRY_DAYS"])
    ids = list(
        db.session.scalars(
            sa.select(Application.id).where(
                Application.state == State.PAYMENT_PENDING, Application.submitted_at < cutoff
            )
        )
    )
    db.session.rollback()
    expired = 0
    for application_id in ids:
        # Payment row first, then the application: the order the webhook job takes them in.
        payment = db.session.scalar(
            sa.select(Payment)
            .where(Payment.application_id == application_id, Payment.state.in_(lifecycle.OPEN))
            .with_for_update()
        )
        application = db.session.scalar(
            sa.select(Application).where(Application.id == application_id).with_for_update()
        )
        if application.state != State.PAYMENT_PENDING:  # paid while we were looking
            db.session.rollback()
            continue
        if payment is not None and payment.gateway_intent_id:
            try:
                intent = gateway().cancel_intent(payment.gateway_intent_id)
            except GatewayUnavailable:
                db.session.rollback()
                continue
            except GatewayRefused as error:
                if error.status != 404:  # perhaps paid this very moment: reconciliation will tell
                    db.session.rollback()
                    continue
                intent = None  # the gateway never had it: nothing there can be paid
            if intent is not None and intent.status != "canceled":
                db.session.rollback()
                continue
        if payment is not None:
            lifecycle.check(payment.state, lifecycle.EXPIRED)
            payment.state = lifecycle.EXPIRED
            record_change(
                "payment.expired",
                "payment",
                payment.reference,
                authority_id=payment.authority_id,
                after={"state": lifecycle.EXPIRED, "source": "unpaid expiry"},
            )
        transition(application, "expire_unpaid", SYSTEM, commit=False)
        notify(
            application.applicant,
            "payment_expired",
            {
                "reference": application.reference,
                "service_ar": application.service.name_ar,
                "service_en": application.service.name_en,
            },
            subject=("application", application.reference),
            authority_id=application.authority_id,
        )
        db.session.commit()
        expired += 1
    return expired
