"""Paying a card refund back through the gateway exactly once: the send (record, call, record),
the gateway's answers, retries under a new key, and the switch to a bank transfer."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.audit import record_change
from app.errors import Conflict, ServiceUnavailable
from app.extensions import db
from app.i18n import N_
from app.money import format_baisa
from app.timeutil import utcnow
from jobs import enqueue
from payments.gateway import GatewayRefund, GatewayRefused, GatewayUnavailable, gateway
from receipts.models import Receipt
from receipts.services import attachment_of, issue_credit_note
from refunds import lifecycle as rl
from refunds.models import Refund
from refunds.queries import SYSTEM, get_refund
from refunds.rules import PAYING_OUT_REFUSED, allowed, not_the_requester, transition
from refunds.trail import tell, timeline

log = logging.getLogger(__name__)
SEND = "refunds.tasks.send_refund"  # the job (refunds/tasks.py)
# Stripe keeps idempotency keys for 24 hours: past this, a key used before protects nothing, and
# the gateway is searched for a refund made with it before sending again.
KEY_MEMORY = dt.timedelta(hours=23)


def gateway_refund_known_failed(actor: User, refund_id: int, action: str) -> str | None:
    """Before a failed card refund is sent again or paid by bank transfer, the gateway's refund,
    if one was created, must be failed by the gateway's own word: asked now, outside any
    transaction. Returns the gateway refund id checked (None: none was created)."""
    refund = get_refund(actor, refund_id)
    allowed(refund, action, actor)
    not_the_requester(refund, actor, PAYING_OUT_REFUSED)
    gateway_refund_id = refund.gateway_refund_id if refund.method == "card" else None
    db.session.rollback()
    if gateway_refund_id is None:
        return None
    try:
        answer = gateway().retrieve_refund(gateway_refund_id)
    except GatewayUnavailable as error:
        raise ServiceUnavailable(
            code="gateway_unavailable",
            detail=N_("The payment gateway cannot be reached; try again shortly."),
            headers={"Retry-After": "30"},
        ) from error
    except GatewayRefused as error:
        raise Conflict(
            code="gateway_refund_unknown",
            detail=N_("The payment gateway cannot say what became of this refund."),
        ) from error
    if answer.status not in ("failed", "canceled"):
        record_gateway_answer(refund_id, answer.id, answer.status, answer.failure_reason)
        raise Conflict(
            code="gateway_refund_not_failed",
            detail=N_(
                "The payment gateway has not failed this refund: it cannot be sent again or "
                "paid by bank transfer."
            ),
            extra={"gateway_status": answer.status},
        )
    return gateway_refund_id


def _supersede_gateway_refund(refund: Refund, action: str) -> None:
    """Forget the failed gateway refund on the row, so that nothing said later about it (a late
    success) can complete this refund: it is kept in the audit log and the timeline, and the
    gateway's metadata still leads its webhooks here, to be flagged (see record_gateway_answer)."""
    before = {"gateway_refund_id": refund.gateway_refund_id, "gateway_key": refund.gateway_key}
    refund.gateway_round += 1
    refund.gateway_refund_id = refund.gateway_key = None
    refund.key_first_sent_at = refund.last_sent_at = None
    record_change(
        "refund.gateway_refund_superseded",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        before=before,
        after={"action": action, "next_key": refund.idempotency_key},
    )


def retry(actor: User, refund: Refund, data: dict[str, Any]) -> Refund:
    """Finance sends a failed refund again: a card refund as a new gateway refund under a new
    idempotency key (the old key would only give back the failed one); a bank transfer goes
    back to finance's list to make."""
    transition(refund, "retry", actor, data, commit=False)
    if refund.method == "card":
        _supersede_gateway_refund(refund, "retry")
        refund.failure_reason = None
    enqueue(SEND, refund.id, queue="high")
    db.session.commit()
    return refund


def switch_to_bank_transfer(actor: User, refund: Refund, data: dict[str, Any]) -> Refund:
    """Finance pays a refund the gateway would not make by bank transfer, to the IBAN given. The
    change of destination is audited with the old and new account, and whoever enters the IBAN
    is remembered: above the four-eyes threshold another officer completes the transfer."""
    before = {"method": refund.method, "iban": refund.iban, "account_holder": refund.account_holder}
    transition(refund, "switch_to_bank_transfer", actor, data, commit=False)
    if refund.gateway_refund_id or refund.gateway_attempts:
        _supersede_gateway_refund(refund, "switch_to_bank_transfer")
    refund.method, refund.iban, refund.account_holder = (
        "bank_transfer",
        data["iban"],
        data["account_holder"],
    )
    refund.destination_set_by_id = actor.id
    record_change(
        "refund.destination_changed",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        before=before,
        after={
            "method": refund.method,
            "iban": refund.iban,
            "account_holder": refund.account_holder,
        },
    )
    db.session.commit()
    return refund


def send(refund_id: int) -> str:
    """Move the money (the send job's work). Card payments go back through the gateway (outside
    any transaction, with the round's idempotency key); bank transfers wait for finance. Only a
    definite refusal fails the refund; a time-out, a 409 (the same key still in progress), a 429
    or a 5xx leave it processing, to be sent again with the same key by reconciliation."""
    refund = db.session.scalar(sa.select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None or refund.state not in (rl.APPROVED, rl.PROCESSING):
        db.session.rollback()
        return "nothing to send"
    if refund.state == rl.APPROVED:
        transition(refund, "send", SYSTEM, {}, commit=False)
    if refund.method != "card" or refund.gateway_refund_id:
        db.session.commit()
        return "waiting"
    now = utcnow()
    key = refund.idempotency_key
    forgotten = refund.key_first_sent_at is not None and now - refund.key_first_sent_at > KEY_MEMORY
    refund.gateway_key = key
    refund.key_first_sent_at = refund.key_first_sent_at or now
    refund.last_sent_at = now
    refund.gateway_attempts += 1
    intent_id, amount, reference = (
        refund.payment.gateway_intent_id,
        refund.amount_approved,
        refund.reference,
    )
    db.session.commit()  # the calls below are outside the transaction
    try:
        earlier = _made_with_key(intent_id, reference, key) if forgotten else None
        if earlier is not None:
            return record_gateway_answer(
                refund_id, earlier.id, earlier.status, earlier.failure_reason, key=key
            )
        answer = gateway().create_refund(
            intent_id, amount, key, {"refund": reference, "idempotency_key": key}
        )
    except GatewayUnavailable as error:
        log.warning(
            "refund not sent: gateway unavailable",
            extra={"refund_id": refund_id, "error": str(error)[:200]},
        )
        return "gateway unavailable"
    except GatewayRefused as error:
        if not error.definite:
            log.error(
                "refund not sent: gateway refused our request",
                extra={"refund_id": refund_id, "status": error.status},
            )
            return "gateway refused the request"
        return record_gateway_answer(refund_id, None, "failed", str(error)[:300], key=key)
    return record_gateway_answer(
        refund_id, answer.id, answer.status, answer.failure_reason, key=key
    )


def _made_with_key(intent_id: str, reference: str, key: str) -> GatewayRefund | None:
    """The gateway refund of this payment made with `key` (by our metadata), if any: refunds
    sent before the key was in the metadata carry only the reference, the first round's key."""
    for found in gateway().list_refunds(intent_id):
        made_with = found.metadata.get("idempotency_key") or found.metadata.get("refund")
        if found.metadata.get("refund") == reference and made_with == key:
            return found
    return None


def record_gateway_answer(
    refund_id: int,
    gateway_refund_id: str | None,
    status: str,
    reason: str | None,
    key: str | None = None,
) -> str:
    """The gateway's word on a refund (its answer, a webhook, or reconciliation), applied once.

    `key` is the idempotency key the gateway refund was created with, when known. An answer about
    a superseded gateway refund (an earlier round, or a card refund since paid by bank transfer)
    never moves the refund; nor does a success for a refund already failed. Such a success means
    money may have gone back twice: it is flagged for finance (`attention`, timeline, audit log,
    error log) rather than applied or ignored."""
    refund = db.session.scalar(sa.select(Refund).where(Refund.id == refund_id).with_for_update())
    superseded = (
        refund.method != "card"
        or (key is not None and key != refund.idempotency_key)
        or (
            gateway_refund_id is not None
            and refund.gateway_refund_id is not None
            and gateway_refund_id != refund.gateway_refund_id
        )
    )
    if superseded:
        if status == "succeeded":
            _flag_for_finance(refund, "superseded gateway refund succeeded", gateway_refund_id)
        db.session.commit()
        return "superseded"
    if gateway_refund_id and not refund.gateway_refund_id:
        refund.gateway_refund_id = gateway_refund_id
    if refund.state != rl.PROCESSING:
        if status == "succeeded" and refund.state != rl.REFUNDED:
            _flag_for_finance(refund, f"gateway refund succeeded, refund {refund.state}", None)
        elif status in ("failed", "canceled") and refund.state == rl.REFUNDED:
            _flag_for_finance(refund, f"gateway refund {status} after success", None)
        db.session.commit()
        return f"already {refund.state}"
    if status == "succeeded":
        complete(refund, SYSTEM, "gateway_refunded", {})
    elif status in ("failed", "canceled"):
        refund.failure_reason = reason or status
        transition(refund, "gateway_failed", SYSTEM, {"note": reason}, commit=False)
        tell(
            refund,
            "refund_decided",
            {
                "amount": format_baisa(refund.amount_approved),
                "decision_ar": "تعذر التحويل",
                "decision_en": "not transferred",
            },
        )
    db.session.commit()
    return refund.state


def _flag_for_finance(refund: Refund, what: str, gateway_refund_id: str | None) -> None:
    note = f"{what} ({gateway_refund_id or refund.gateway_refund_id})"[:300]
    if refund.attention == note:
        return  # a duplicate event
    refund.attention = note
    timeline(refund, SYSTEM, "gateway_discrepancy", refund.state, refund.state, note)
    record_change(
        "refund.gateway_discrepancy",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        after={"attention": note, "state": refund.state},
    )
    log.error("refund gateway discrepancy", extra={"refund_id": refund.id, "attention": note})


def complete(refund: Refund, actor, action: str, data: dict) -> None:
    transition(refund, action, actor, data, commit=False)
    refund.refunded_at = utcnow()
    receipt = db.session.scalar(
        sa.select(Receipt).where(Receipt.receipt_for_payment == refund.payment_id)
    )
    note = issue_credit_note(
        refund,
        receipt,
        refund.amount_approved,
        refund.gateway_refund_id or refund.transfer_reference,
    )
    tell(
        refund,
        "refund_completed",
        {"amount": format_baisa(refund.amount_approved), "credit_note": note.number},
        attachments=(attachment_of(note),),  # the credit note's PDF, as the receipt's
    )
