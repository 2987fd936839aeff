"""Asking for a refund, and the files that go with it (evidence, a transfer proof)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app

from app.accounts.models import Role, User
from app.audit import record_change
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.files.uploads import accept_file
from app.i18n import N_
from app.maintenance.services import refuse_writes_during_maintenance
from app.money import format_baisa
from app.numbering import next_number
from app.timeutil import MUSCAT, utcnow
from app.workflow import fire
from payments.models import Payment
from refunds import lifecycle as rl
from refunds.gateway import gateway_for
from refunds.models import Refund, RefundFile
from refunds.queries import committed_baisa, get_refund, locked_payment, role_of
from refunds.trail import tell, timeline


def _reference(payment: Payment, year: int) -> str:
    number = next_number(payment.authority_id, "refund", year)
    return f"RF-{payment.application.authority.code}-{year}-{number:06d}"


def request_refund(actor: User, payment_id: int, data: dict[str, Any]) -> Refund:
    """The payer (or finance staff for them) asks for a refund of a succeeded payment: the whole
    refundable amount by default, never more (the payment row is locked while it is counted);
    a card refund only of an amount the gateway takes. In the caller's unit of work."""
    payment = locked_payment(payment_id)
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
    refused = gateway_for(payment).check_amount(amount) if method == "card" else None
    if refused:
        raise ValidationFailed({"amount": [refused]})
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
        last_action_at=now,
    )
    refund.move_clock("start", now)
    db.session.add(refund)
    db.session.flush()
    timeline(refund, actor, "request", rl.SUBMITTED, rl.SUBMITTED, data.get("reason_text"))
    record_change(
        "refund.requested",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        after={"amount": amount, "method": refund.method, "payment": payment.reference},
    )
    tell(refund, "refund_submitted", {"amount": format_baisa(amount)})
    return refund


def add_file(
    actor: User, refund_id: int, kind: str, filename: str | None, content: bytes
) -> RefundFile:
    """Evidence from the applicant (it ends a request for evidence), or finance's transfer proof.
    In the caller's unit of work."""
    refund = get_refund(actor, refund_id)
    role = role_of(refund, actor)
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
        fire(refund, "evidence_added", actor)
    return file
