"""Use cases of refunds: request with evidence, review with four eyes, pay back exactly once.

Money safety: every step that promises money locks the payment row and checks that the refunds
approved, processing, refunded or failed (retryable) never exceed what was captured. The gateway
is called outside any transaction; a crash between its answer and our record is repaired by
calling again with the same idempotency key (the refund's reference).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.access import role_on_record
from app.accounts.models import Role, User
from app.audit import record_change
from app.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, ValidationFailed
from app.extensions import db
from app.files.uploads import accept_file
from app.i18n import N_
from app.maintenance.services import refuse_writes_during_maintenance
from app.money import format_baisa
from app.notifications.services import notify
from app.numbering import next_number
from app.timeutil import MUSCAT, utcnow
from jobs import enqueue
from payments.gateway import GatewayRefund, GatewayRefused, GatewayUnavailable, gateway
from payments.models import Payment
from receipts.models import Receipt
from receipts.services import attachment_of, issue_credit_note
from refunds import lifecycle as rl
from refunds.models import Refund, RefundEvent, RefundFile

log = logging.getLogger(__name__)
SEND = "refunds.services.send_refund"
# Stripe keeps idempotency keys for 24 hours: past this, a key used before protects nothing, and
# the gateway is searched for a refund made with it before sending again.
KEY_MEMORY = dt.timedelta(hours=23)
SYSTEM = "system"


def committed_baisa(payment_id: int, excluding: int | None = None) -> int:
    query = sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_approved), 0)).where(
        Refund.payment_id == payment_id, Refund.state.in_(rl.COMMITTED)
    )
    if excluding is not None:
        query = query.where(Refund.id != excluding)
    return db.session.scalar(query)


def _locked_payment(payment_id: int) -> Payment:
    payment = db.session.scalar(
        sa.select(Payment).where(Payment.id == payment_id).with_for_update()
    )
    if payment is None:
        raise NotFound()
    return payment


def _role(refund: Refund, actor: User | str) -> str:
    if actor == SYSTEM:
        return SYSTEM
    return role_on_record(actor, refund.applicant_id, refund.authority_id)


def _reference(payment: Payment, year: int) -> str:
    number = next_number(payment.authority_id, "refund", year)
    return f"RF-{payment.application.authority.code}-{year}-{number:06d}"


def request_refund(actor: User, payment_id: int, data: dict[str, Any]) -> Refund:
    """The payer (or finance staff for them) asks for a refund of a succeeded payment: the whole
    refundable amount by default, never more."""
    payment = _locked_payment(payment_id)
    if actor.role == Role.APPLICANT and payment.payer_id != actor.id:
        raise NotFound()
    refuse_writes_during_maintenance(payment.authority_id)
    if actor.role != Role.APPLICANT and (
        actor.role != Role.FINANCE or actor.authority_id != payment.authority_id
    ):
        raise NotFound()
    if payment.state != "succeeded":
        raise Conflict(
            code="payment_not_refundable", detail=N_("Only a succeeded payment can be refunded.")
        )
    refundable = payment.amount_baisa - committed_baisa(payment.id)
    amount = data.get("amount")
    if amount is None:  # "0.000" is not "everything": the schema refuses it
        amount = refundable
    if amount <= 0 or amount > refundable:
        raise ValidationFailed(
            {"amount": [N_("The amount is more than what can still be refunded.")]},
            extra={"refundable": format_baisa(refundable)},
        )
    within_window = payment.succeeded_at is not None and utcnow() - payment.succeeded_at <= (
        dt.timedelta(days=current_app.config["REFUND_CARD_WINDOW_DAYS"])
    )
    method = data.get("method") or ("card" if within_window else "bank_transfer")
    if method == "card" and not within_window:
        raise ValidationFailed(
            {
                "method": [
                    N_(
                        "This payment is too old to be refunded to the card; "
                        "ask for a bank transfer."
                    )
                ]
            }
        )
    if method == "bank_transfer" and not (data.get("iban") and data.get("account_holder")):
        raise ValidationFailed(
            {"iban": [N_("A bank transfer needs the IBAN and the account holder.")]}
        )
    now = utcnow()
    year = now.astimezone(MUSCAT).year
    refund = Refund(
        reference=_reference(payment, year),
        authority_id=payment.authority_id,
        payment_id=payment.id,
        applicant_id=payment.payer_id,
        requested_by_id=actor.id,
        state=rl.SUBMITTED,
        amount_requested=amount,
        reason=data["reason"],
        reason_text=data.get("reason_text"),
        method=method,
        iban=data.get("iban"),
        account_holder=data.get("account_holder"),
        destination_set_by_id=actor.id if method == "bank_transfer" else None,
        sla_target_days=current_app.config["REFUND_SLA_DAYS"],
        sla_paused_days=0,
        gateway_attempts=0,
    )
    refund.move_clock("start", now)
    db.session.add(refund)
    db.session.flush()
    _event(refund, actor, "request", rl.SUBMITTED, rl.SUBMITTED, data.get("reason_text"))
    record_change(
        "refund.requested",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        after={"amount": amount, "method": refund.method, "payment": payment.reference},
    )
    _tell(refund, "refund_submitted", {"amount": format_baisa(amount)})
    db.session.commit()
    return refund


def add_file(
    actor: User, refund_id: int, kind: str, filename: str | None, content: bytes
) -> RefundFile:
    """Evidence from the applicant (it ends a request for evidence), or finance's transfer proof."""
    refund = get_refund(actor, refund_id)
    role = _role(refund, actor)
    if kind == "transfer_proof":
        if role != "finance" or refund.state != rl.PROCESSING or refund.method != "bank_transfer":
            raise Conflict(
                code="proof_not_expected",
                detail=N_("A transfer proof belongs to a bank transfer in progress."),
            )
    elif role != "applicant" or refund.state not in rl.OPEN:
        raise Conflict(
            code="evidence_closed", detail=N_("Evidence can be added only before the decision.")
        )
    stored = accept_file(filename, content)
    file = RefundFile(
        refund_id=refund.id,
        kind=kind,
        uploaded_by_id=actor.id,
        **stored.columns(),
    )
    db.session.add(file)
    db.session.flush()
    record_change(
        "refund.file_added",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        after={"kind": kind, "sha256": stored.sha256},
    )
    if refund.state == rl.EVIDENCE_REQUESTED:
        transition(refund, "evidence_added", actor, {}, commit=False)
    db.session.commit()
    return file


def _allowed(refund: Refund, action: str, actor: User | str) -> rl.Transition:
    """The rule of `action` if `actor` may take it on the refund as it is now; else refused."""
    rule = rl.TRANSITIONS.get(action)
    if rule is None:
        raise NotFound()
    if _role(refund, actor) not in rule.roles:
        raise Forbidden()
    if refund.state not in rule.sources:
        raise Conflict(
            code="transition_not_allowed",
            detail=N_("This action is not allowed in the refund's current state."),
            extra={"state": refund.state, "action": action},
        )
    if rule.methods is not None and refund.method not in rule.methods:
        raise Conflict(
            code="wrong_refund_method",
            detail=N_("This action does not apply to a refund paid back this way."),
            extra={"method": refund.method, "action": action},
        )
    return rule


def transition(
    refund: Refund, action: str, actor: User | str, data: dict[str, Any], commit: bool = True
) -> Refund:
    rule = _allowed(refund, action, actor)
    missing = {
        f: [N_("Missing data for required field.")] for f in rule.requires if not data.get(f)
    }
    if missing:
        raise ValidationFailed(missing)
    now, source = utcnow(), refund.state
    refund.move_clock(rule.sla, now)
    refund.state = rule.target
    _event(refund, actor, action, source, rule.target, data.get("note") or data.get("reason_en"))
    record_change(
        f"refund.{action}",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        before={"state": source},
        after={"state": rule.target},
    )
    if commit:
        db.session.commit()
    return refund


def act(actor: User, refund_id: int, action: str, data: dict[str, Any]) -> Refund:
    """A person's action on a refund (approve and reject have their own rules, see below)."""
    checked = None
    if action in ("retry", "switch_to_bank_transfer"):
        checked = _gateway_refund_known_failed(actor, refund_id, action)
    refund = _locked_refund(actor, refund_id)
    if checked is not None and refund.gateway_refund_id != checked:
        raise Conflict(  # it changed while we asked the gateway
            code="transition_not_allowed",
            detail=N_("This action is not allowed in the refund's current state."),
            extra={"state": refund.state, "action": action},
        )
    if action == "resolve_attention":
        return resolve_attention(actor, refund, data)
    if action == "approve":
        return approve(actor, refund, data.get("amount"))
    if action == "reject":
        _not_the_requester(refund, actor)
        refund.rejection_reason_ar, refund.rejection_reason_en = (
            data.get("reason_ar"),
            data.get("reason_en"),
        )
        transition(refund, "reject", actor, data, commit=False)
        _tell(
            refund,
            "refund_decided",
            {
                "amount": format_baisa(refund.amount_requested),
                "decision_ar": "مرفوض",
                "decision_en": "rejected",
                "reason_ar": data["reason_ar"],
                "reason_en": data["reason_en"],
            },
        )
        db.session.commit()
        return refund
    if action == "request_evidence":
        transition(refund, action, actor, data, commit=False)
        _tell(refund, "refund_evidence_requested", {"note": data["note"]})
        db.session.commit()
        return refund
    if action in PAYING_OUT:
        _not_the_requester(refund, actor, PAYING_OUT_REFUSED)
    if action == "retry":
        return retry(actor, refund, data)
    if action == "switch_to_bank_transfer":
        return switch_to_bank_transfer(actor, refund, data)
    if action in ("send", "gateway_refunded", "gateway_failed", "evidence_added"):
        raise Forbidden()
    return transition(refund, action, actor, data)


def _gateway_refund_known_failed(actor: User, refund_id: int, action: str) -> str | None:
    """Before a failed card refund is sent again or paid by bank transfer, the gateway's refund,
    if one was created, must be failed by the gateway's own word: asked now, outside any
    transaction. Returns the gateway refund id checked (None: none was created)."""
    refund = get_refund(actor, refund_id)
    _allowed(refund, action, actor)
    _not_the_requester(refund, actor, PAYING_OUT_REFUSED)
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


def resolve_attention(actor: User, refund: Refund, data: dict[str, Any]) -> Refund:
    """Finance records what it did about a gateway discrepancy, and the flag is cleared."""
    if _role(refund, actor) != "finance":
        raise Forbidden()
    if not data.get("note"):
        raise ValidationFailed({"note": [N_("Missing data for required field.")]})
    if refund.attention is None:
        raise Conflict(
            code="nothing_to_resolve", detail=N_("Nothing about this refund awaits finance.")
        )
    record_change(
        "refund.attention_resolved",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        before={"attention": refund.attention},
        after={"note": data["note"]},
    )
    _event(refund, actor, "resolve_attention", refund.state, refund.state, data["note"])
    refund.attention = None
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


# Once approved, the steps that send money, or say where it goes, are not for whoever asked.
PAYING_OUT = frozenset({"retry", "switch_to_bank_transfer", "transfer_failed", "transfer_done"})
PAYING_OUT_REFUSED = (
    "requester_cannot_pay_out",
    N_("Whoever asked for a refund cannot pay it out."),
)
DECISION_REFUSED = (
    "requester_cannot_decide",
    N_("Whoever asked for a refund cannot decide on it."),
)


def _not_the_requester(
    refund: Refund, actor: User, refusal: tuple[str, str] = DECISION_REFUSED
) -> None:
    if actor.id == refund.requested_by_id:
        raise Forbidden(code=refusal[0], detail=refusal[1])


def approve(actor: User, refund: Refund, amount: int | None) -> Refund:
    """Approve (all or part of) the request. Above the four-eyes threshold the first approval
    only records its approver; a second, different finance user moves the money."""
    _not_the_requester(refund, actor)
    rule = rl.TRANSITIONS["approve"]
    if _role(refund, actor) not in rule.roles:
        raise Forbidden()
    if refund.state not in rule.sources:
        raise Conflict(
            code="transition_not_allowed",
            detail=N_("This action is not allowed in the refund's current state."),
            extra={"state": refund.state, "action": "approve"},
        )
    if amount is None:
        amount = refund.amount_approved or refund.amount_requested
    if amount <= 0:
        raise ValidationFailed({"amount": [N_("The amount must be more than zero.")]})
    if amount > refund.amount_requested:
        raise ValidationFailed(
            {"amount": [N_("The approved amount cannot exceed the amount asked for.")]}
        )
    if refund.first_approver_id is not None and amount != refund.amount_approved:
        # Four eyes on the amount: the money that moves is what both approvers agreed to.
        raise Conflict(
            code="amount_differs_from_first_approval",
            detail=N_(
                "The second approval must be for the amount of the first approval; "
                "to refund another amount, reject the request."
            ),
            extra={"first_approval_amount": format_baisa(refund.amount_approved)},
        )
    payment = _locked_payment(refund.payment_id)
    if committed_baisa(payment.id, excluding=refund.id) + amount > payment.amount_baisa:
        raise Conflict(code="over_refund", detail=N_("This would refund more than was paid."))
    refund.amount_approved = amount
    threshold = current_app.config["REFUND_SECOND_APPROVAL_BAISA"]
    if amount > threshold and refund.second_approver_id is None:
        if refund.first_approver_id is None:
            if refund.state == rl.SUBMITTED:  # a first approval is a review begun
                transition(refund, "start_review", actor, {}, commit=False)
            refund.first_approver_id = actor.id
            _event(
                refund, actor, "first_approval", refund.state, refund.state, format_baisa(amount)
            )
            record_change(
                "refund.first_approval",
                "refund",
                refund.reference,
                authority_id=refund.authority_id,
                after={"amount": amount},
            )
            db.session.commit()
            return refund
        if refund.first_approver_id == actor.id:
            raise Forbidden(
                code="second_approver_required",
                detail=N_("A second, different finance officer must approve this refund."),
            )
        refund.second_approver_id = actor.id
    elif refund.first_approver_id is None:
        refund.first_approver_id = actor.id
    transition(refund, "approve", actor, {}, commit=False)
    _tell(
        refund,
        "refund_decided",
        {"amount": format_baisa(amount), "decision_ar": "موافق عليه", "decision_en": "approved"},
    )
    enqueue(SEND, refund.id, queue="high")
    db.session.commit()
    return refund


def send_refund(refund_id: int) -> str:
    """Job: move the money. Card payments go back through the gateway (outside any transaction,
    with the round's idempotency key); bank transfers wait for finance. Only a definite refusal
    fails the refund; a time-out, a 409 (the same key still in progress), a 429 or a 5xx leave it
    processing, to be sent again with the same key by reconciliation."""
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
        _complete(refund, SYSTEM, "gateway_refunded", {})
    elif status in ("failed", "canceled"):
        refund.failure_reason = reason or status
        transition(refund, "gateway_failed", SYSTEM, {"note": reason}, commit=False)
        _tell(
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
    _event(refund, SYSTEM, "gateway_discrepancy", refund.state, refund.state, note)
    record_change(
        "refund.gateway_discrepancy",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        after={"attention": note, "state": refund.state},
    )
    log.error("refund gateway discrepancy", extra={"refund_id": refund.id, "attention": note})


def complete_transfer(actor: User, refund_id: int, transfer_reference: str) -> Refund:
    """Finance records a bank transfer made (after its proof): not the requester, and above the
    four-eyes threshold not whoever entered the IBAN, so no one redirects money alone."""
    refund = _locked_refund(actor, refund_id)
    if _role(refund, actor) != "finance":
        raise Forbidden()
    _not_the_requester(refund, actor, PAYING_OUT_REFUSED)
    if refund.method != "bank_transfer":
        raise Conflict(code="not_a_bank_transfer", detail=N_("This refund goes back to the card."))
    threshold = current_app.config["REFUND_SECOND_APPROVAL_BAISA"]
    if refund.amount_approved > threshold and refund.destination_set_by_id == actor.id:
        raise Forbidden(
            code="destination_needs_second_officer",
            detail=N_(
                "Above the second-approval amount, whoever entered the IBAN cannot also "
                "complete the transfer."
            ),
        )
    has_proof = db.session.scalar(
        sa.select(RefundFile.id)
        .where(RefundFile.refund_id == refund.id, RefundFile.kind == "transfer_proof")
        .limit(1)
    )
    if has_proof is None:
        raise ValidationFailed({"file": [N_("Upload the transfer proof first.")]})
    refund.transfer_reference = transfer_reference
    _complete(refund, actor, "transfer_done", {"transfer_reference": transfer_reference})
    db.session.commit()
    return refund


def _complete(refund: Refund, actor, action: str, data: dict) -> None:
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
    _tell(
        refund,
        "refund_completed",
        {"amount": format_baisa(refund.amount_approved), "credit_note": note.number},
        attachments=(attachment_of(note),),  # the credit note's PDF, as the receipt's
    )


def _locked_refund(actor: User, refund_id: int) -> Refund:
    refund = db.session.scalar(sa.select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None:
        raise NotFound()
    _role(refund, actor)
    return refund


def get_refund(actor: User, refund_id: int) -> Refund:
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        raise NotFound()
    _role(refund, actor)
    return refund


def may_see_iban(actor: User, refund: Refund) -> bool:
    """Finance staff of the authority see the full IBAN (they make the transfer); everyone
    else, the applicant included, a masked one."""
    return actor.role == Role.FINANCE and actor.authority_id == refund.authority_id


def refunds_query(actor: User, state: str | None) -> sa.Select:
    """Applicants: all their refunds, newest first. Finance: the authority's queue by SLA due
    date, open refunds only (refunded, rejected and withdrawn ones when asked by `state`)."""
    query = sa.select(Refund)
    if actor.role == Role.APPLICANT:
        return query.where(Refund.applicant_id == actor.id).order_by(Refund.id.desc())
    query = query.where(Refund.authority_id == actor.authority_id)
    if state:
        query = query.where(Refund.state == state)
    else:  # closed ones stay while a gateway discrepancy awaits finance
        query = query.where(sa.or_(Refund.state.not_in(rl.CLOSED), Refund.attention.is_not(None)))
    return query.order_by(Refund.sla_due_date.is_(None), Refund.sla_due_date, Refund.id)


def _event(refund, actor, action, source, target, note) -> None:
    RefundEvent.add(actor, action, source, target, note, refund_id=refund.id)


def _tell(
    refund: Refund, event: str, context: dict[str, Any], attachments: tuple[dict, ...] = ()
) -> None:
    notify(
        refund.applicant,
        event,
        {"refund_reference": refund.reference, **context},
        subject=("refund", refund.reference),
        authority_id=refund.authority_id,
        attachments=attachments,
    )


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
        )
        .where(
            sa.or_(
                sa.and_(Refund.state == rl.PROCESSING, Refund.method == "card"),
                Refund.state == rl.APPROVED,
            )
        )
        .order_by(Refund.id)
    ).all()
    db.session.rollback()
    looked_at = 0
    for refund_id, state, gateway_refund_id, last_sent_at, updated_at in rows:
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
        try:
            answer = gateway().retrieve_refund(gateway_refund_id)
        except (GatewayUnavailable, GatewayRefused):
            db.session.rollback()
            continue
        record_gateway_answer(refund_id, answer.id, answer.status, answer.failure_reason)
    return looked_at
