"""Refund jobs: the send job and the periodic reconciliation with the gateway. Each runs in the
job's unit of work (`jobs.runner.execute`); the gateway is called with no transaction open."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask import current_app

from app import uow
from app.extensions import db
from app.timeutil import utcnow
from payments.models import Payment
from refunds import lifecycle as rl
from refunds import payout
from refunds.gateway import GatewayRefused, GatewayUnavailable, gateway_for
from refunds.models import Refund
from refunds.payout import record_gateway_answer


def send_refund(refund_id: int) -> str:
    """Job (`payout.SEND`, queue "high"): send an approved refund's money back (`payout.send`)."""
    return payout.send(refund_id)


def reconcile_refunds() -> int:
    """Periodic: card refunds still processing are asked after at the gateway, or, when none was
    recorded there, sent again (same idempotency key) once `REFUND_RESEND_AFTER_SECONDS` have
    passed since the last send, so as not to race the approval's own send job. A refund still
    `approved` that long after its approval lost its send job (Redis or the worker down at the
    time): it is sent now. Returns how many were looked at."""
    grace = dt.timedelta(seconds=current_app.config["REFUND_RESEND_AFTER_SECONDS"])
    now = utcnow()
    rows = db.session.execute(
        sa.select(
            Refund.id,
            Refund.state,
            Refund.gateway_refund_id,
            Refund.last_sent_at,
            Refund.updated_at,
            Refund.payment_id,
        )
        .where(
            sa.or_(
                sa.and_(Refund.state == rl.PROCESSING, Refund.method == "card"),
                Refund.state == rl.APPROVED,
            )
        )
        .order_by(Refund.id)
    ).all()
    uow.release()
    looked_at = 0
    for refund_id, state, gateway_refund_id, last_sent_at, updated_at, payment_id in rows:
        if state == rl.APPROVED:
            if now - updated_at < grace:
                continue  # approved just now: its send job is queued
            looked_at += 1
            send_refund(refund_id)
            continue
        if gateway_refund_id is None:
            if now - (last_sent_at or updated_at) < grace:
                continue  # just sent (or being sent): its own job will record the answer
            looked_at += 1
            send_refund(refund_id)
            continue
        looked_at += 1
        ask_the_gateway(refund_id, gateway_refund_id, payment_id)
    return looked_at


def ask_the_gateway(refund_id: int, gateway_refund_id: str, payment_id: int) -> None:
    """What the gateway says now of a refund it has, recorded (nothing, if it cannot say)."""
    plugin = gateway_for(db.session.get(Payment, payment_id))
    uow.release()
    uow.assert_no_transaction("asking the gateway about a refund")
    try:
        answer = plugin.retrieve_refund(gateway_refund_id)
    except (GatewayUnavailable, GatewayRefused):
        return
    with uow.transaction():
        record_gateway_answer(refund_id, answer.refund_ref, answer.status, answer.failure_reason)
