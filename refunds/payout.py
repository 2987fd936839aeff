"""Paying a card refund back through the gateway exactly once: record, call, record.

Each record is its own `uow.transaction()`; every gateway call is made with no transaction
open (`uow.assert_no_transaction()`), so no row lock is held while the gateway answers and its
answer is never lost with a rollback. A crash between the gateway's answer and our record is
repaired by calling again with the same idempotency key (the round's key); past the gateway's
memory of keys, an earlier refund is first looked for by our metadata.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from app import uow
from app.accounts.models import User
from app.audit import record_change
from app.errors import Conflict, ServiceUnavailable
from app.extensions import db
from app.i18n import N_
from app.timeutil import utcnow
from app.workflow import SYSTEM, fire
from refunds import lifecycle as rl
from refunds.gateway import (
    GatewayPayment,
    GatewayRefund,
    GatewayRefused,
    GatewayUnavailable,
    gateway_for,
    trusted_key_age,
)
from refunds.models import Refund
from refunds.queries import get_refund
from refunds.trail import timeline

log = logging.getLogger(__name__)
# Before these, the gateway is asked (no transaction open) whether its refund really failed.
ASKS_THE_GATEWAY_FIRST = frozenset({"retry", "switch_to_bank_transfer"})


def gateway_refund_known_failed(actor: User, refund_id: int, action: str) -> str | None:
    """Before a failed card refund is sent again or paid by bank transfer, the gateway's refund,
    if one was created, must be failed by the gateway's own word: asked now, with no transaction
    open (the caller's read is released first). Refused as the table would refuse `action`
    before asking. Returns the gateway refund id checked (None: none was created)."""
    refund = get_refund(actor, refund_id)
    rl.check(refund, action, actor)
    gateway_refund_id = refund.gateway_refund_id if refund.method == "card" else None
    plugin = gateway_for(refund.payment)
    uow.release()
    if gateway_refund_id is None:
        return None
    uow.assert_no_transaction("asking the gateway about a refund")
    try:
        answer = plugin.retrieve_refund(gateway_refund_id)
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
        with uow.transaction():  # kept, though the action is refused
            record_gateway_answer(
                refund_id, answer.refund_ref, answer.status, answer.failure_reason
            )
        raise Conflict(
            code="gateway_refund_not_failed",
            detail=N_(
                "The payment gateway has not failed this refund: it cannot be sent again or "
                "paid by bank transfer."
            ),
            extra={"gateway_status": answer.status},
        )
    return gateway_refund_id


def send(refund_id: int) -> str:
    """Move the money (the send job's work). Card payments go back through the gateway with the
    round's idempotency key; bank transfers wait for finance. Only a definite refusal fails the
    refund; a time-out, a 409 (the same key still in progress), a 429 or a 5xx leave it
    processing, to be sent again with the same key by reconciliation."""
    with uow.transaction():
        prepared = _record_the_send(refund_id)
    if isinstance(prepared, str):
        return prepared
    plugin, paid, amount, reference, key, forgotten = prepared
    uow.assert_no_transaction("a refund sent to the gateway")
    try:
        earlier = _made_with_key(plugin, paid.gateway_ref, reference, key) if forgotten else None
        answer = earlier or plugin.refund(
            paid,
            amount,
            key,
            {"refund": reference, "idempotency_key": key},
            "requested_by_customer",
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
        with uow.transaction():
            return record_gateway_answer(refund_id, None, "failed", str(error)[:300], key=key)
    with uow.transaction():
        return record_gateway_answer(
            refund_id, answer.refund_ref, answer.status, answer.failure_reason, key=key
        )


def _record_the_send(refund_id: int):
    """Lock the refund, move an approved one to processing and note the attempt; what the call
    needs, or why there is none to make."""
    refund = db.session.scalar(sa.select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None or refund.state not in (rl.APPROVED, rl.PROCESSING):
        return "nothing to send"
    if refund.state == rl.APPROVED:
        fire(refund, "send", SYSTEM)
    if refund.method != "card" or refund.gateway_refund_id:
        return "waiting"
    plugin = gateway_for(refund.payment)
    now, key = utcnow(), refund.idempotency_key
    trusted = trusted_key_age(plugin)
    forgotten = refund.key_first_sent_at is not None and (
        trusted is None or now - refund.key_first_sent_at > trusted
    )
    refund.gateway_key = key
    refund.key_first_sent_at = refund.key_first_sent_at or now
    refund.last_sent_at = now
    refund.gateway_attempts += 1
    paid = GatewayPayment(  # what we recorded at success: the charge is what some gateways
        # refund (Thawani's payment_id); the plugin asks for it when we have none
        gateway_ref=refund.payment.gateway_intent_id,
        status="succeeded",
        amount_baisa=refund.payment.amount_baisa,
        charge_ref=refund.payment.gateway_charge_id,
    )
    return plugin, paid, refund.amount_approved, refund.reference, key, forgotten


def _made_with_key(plugin, gateway_ref: str, reference: str, key: str) -> GatewayRefund | None:
    """The gateway refund of this payment made with `key` (by our metadata), if any: refunds
    sent before the key was in the metadata carry only the reference, the first round's key."""
    for found in plugin.list_refunds(gateway_ref):
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
    """The gateway's word on a refund (its answer, a webhook, or reconciliation), applied once,
    in the caller's unit of work (the refund row is locked).

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
        return "superseded"
    if gateway_refund_id and not refund.gateway_refund_id:
        refund.gateway_refund_id = gateway_refund_id
    if refund.state != rl.PROCESSING:
        if status == "succeeded" and refund.state != rl.REFUNDED:
            _flag_for_finance(refund, f"gateway refund succeeded, refund {refund.state}", None)
        elif status in ("failed", "canceled") and refund.state == rl.REFUNDED:
            _flag_for_finance(refund, f"gateway refund {status} after success", None)
        return f"already {refund.state}"
    if status == "succeeded":
        fire(refund, "gateway_refunded", SYSTEM)
    elif status in ("failed", "canceled"):
        fire(refund, "gateway_failed", SYSTEM, reason=reason, status=status)
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
