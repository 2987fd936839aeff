"""Finance's and the applicant's decisions on a refund: review, evidence, four-eyes approval,
rejection, withdrawal; and the dispatch of every action a person takes."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.accounts.models import User
from app.audit import record_change
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.money import format_baisa
from jobs import enqueue
from refunds import lifecycle as rl
from refunds.models import Refund
from refunds.payout import SEND, gateway_refund_known_failed, retry, switch_to_bank_transfer
from refunds.queries import committed_baisa, locked_payment, locked_refund, role_of
from refunds.rules import (
    PAYING_OUT,
    PAYING_OUT_REFUSED,
    not_the_requester,
    transition,
)
from refunds.trail import tell, timeline


def act(actor: User, refund_id: int, action: str, data: dict[str, Any]) -> Refund:
    """A person's action on a refund (approve and reject have their own rules, see below)."""
    checked = None
    if action in ("retry", "switch_to_bank_transfer"):
        checked = gateway_refund_known_failed(actor, refund_id, action)
    refund = locked_refund(actor, refund_id)
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
        not_the_requester(refund, actor)
        refund.rejection_reason_ar, refund.rejection_reason_en = (
            data.get("reason_ar"),
            data.get("reason_en"),
        )
        transition(refund, "reject", actor, data, commit=False)
        tell(
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
        tell(refund, "refund_evidence_requested", {"note": data["note"]})
        db.session.commit()
        return refund
    if action in PAYING_OUT:
        not_the_requester(refund, actor, PAYING_OUT_REFUSED)
    if action == "retry":
        return retry(actor, refund, data)
    if action == "switch_to_bank_transfer":
        return switch_to_bank_transfer(actor, refund, data)
    if action in ("send", "gateway_refunded", "gateway_failed", "evidence_added"):
        raise Forbidden()
    return transition(refund, action, actor, data)


def resolve_attention(actor: User, refund: Refund, data: dict[str, Any]) -> Refund:
    """Finance records what it did about a gateway discrepancy, and the flag is cleared."""
    if role_of(refund, actor) != "finance":
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
    timeline(refund, actor, "resolve_attention", refund.state, refund.state, data["note"])
    refund.attention = None
    db.session.commit()
    return refund


def approve(actor: User, refund: Refund, amount: int | None) -> Refund:
    """Approve (all or part of) the request. Above the four-eyes threshold the first approval
    only records its approver; a second, different finance user moves the money."""
    not_the_requester(refund, actor)
    rule = rl.TRANSITIONS["approve"]
    if role_of(refund, actor) not in rule.roles:
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
    payment = locked_payment(refund.payment_id)
    if committed_baisa(payment.id, excluding=refund.id) + amount > payment.amount_baisa:
        raise Conflict(code="over_refund", detail=N_("This would refund more than was paid."))
    refund.amount_approved = amount
    threshold = current_app.config["REFUND_SECOND_APPROVAL_BAISA"]
    if amount > threshold and refund.second_approver_id is None:
        if refund.first_approver_id is None:
            if refund.state == rl.SUBMITTED:  # a first approval is a review begun
                transition(refund, "start_review", actor, {}, commit=False)
            refund.first_approver_id = actor.id
            timeline(
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
    tell(
        refund,
        "refund_decided",
        {"amount": format_baisa(amount), "decision_ar": "موافق عليه", "decision_en": "approved"},
    )
    enqueue(SEND, refund.id, queue="high")
    db.session.commit()
    return refund
