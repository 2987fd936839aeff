"""The refund table's guards: separation of duties, four eyes, amount caps, the way of paying
back a rule applies to. Each takes the `Step` being fired and raises the problem that refuses it
(`app.workflow` runs them after the role, state and required-field checks, in table order)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.money import format_baisa
from app.workflow import Guard, Step
from refunds.gateway import gateway_for
from refunds.models import Refund, RefundFile
from refunds.queries import committed_baisa, locked_payment

PAYING_OUT_REFUSED = (
    "requester_cannot_pay_out",
    N_("Whoever asked for a refund cannot pay it out."),
)
DECISION_REFUSED = (
    "requester_cannot_decide",
    N_("Whoever asked for a refund cannot decide on it."),
)
WRONG_METHOD = (
    "wrong_refund_method",
    N_("This action does not apply to a refund paid back this way."),
)


def threshold() -> int:
    """Above this amount (baisa) a refund needs two finance officers' approvals."""
    return current_app.config["REFUND_SECOND_APPROVAL_BAISA"]


def not_the_requester(refusal: tuple[str, str]) -> Guard:
    """Whoever asked for the refund (the payer, or finance for them) may not take the step."""

    def guard(step: Step) -> None:
        if step.actor.id == step.record.requested_by_id:
            raise Forbidden(code=refusal[0], detail=refusal[1])

    guard.__name__ = f"not_the_requester[{refusal[0]}]"
    return guard


def paid_back_by(methods: frozenset[str], refusal: tuple[str, str] = WRONG_METHOD) -> Guard:
    """The step applies only to a refund paid back one of these ways (card, bank transfer)."""

    def guard(step: Step) -> None:
        refund = step.record
        if refund.method not in methods:
            raise Conflict(
                code=refusal[0],
                detail=refusal[1],
                extra={"method": refund.method, "action": step.action},
            )

    guard.__name__ = f"paid_back_by[{'|'.join(sorted(methods))}]"
    return guard


def approval_amount(refund: Refund, asked: int | None) -> int:
    """The amount an approval is for: as asked, else the first approval's, else all of the
    request."""
    if asked is not None:
        return asked
    return refund.amount_approved or refund.amount_requested


def first_approval_due(refund: Refund, amount: int) -> bool:
    """Above the threshold, the first of two approvals (none recorded yet)."""
    return (
        amount > threshold()
        and refund.first_approver_id is None
        and refund.second_approver_id is None
    )


def amount_within_request(step: Step) -> None:
    """More than zero, at most what was asked for, and an amount the gateway can pay back."""
    refund = step.record
    amount = approval_amount(refund, step.fields.get("amount"))
    if amount <= 0:
        raise ValidationFailed({"amount": [N_("The amount must be more than zero.")]})
    if amount > refund.amount_requested:
        raise ValidationFailed(
            {"amount": [N_("The approved amount cannot exceed the amount asked for.")]}
        )
    if refund.method == "card":
        refused = gateway_for(refund.payment).check_amount(amount)
        if refused:
            raise ValidationFailed({"amount": [refused]})


def same_amount_as_first_approval(step: Step) -> None:
    """Four eyes on the amount: the money that moves is what both approvers agreed to."""
    refund = step.record
    amount = approval_amount(refund, step.fields.get("amount"))
    if refund.first_approver_id is not None and amount != refund.amount_approved:
        raise Conflict(
            code="amount_differs_from_first_approval",
            detail=N_(
                "The second approval must be for the amount of the first approval; "
                "to refund another amount, reject the request."
            ),
            extra={"first_approval_amount": format_baisa(refund.amount_approved)},
        )


def within_what_was_captured(step: Step) -> None:
    """Never promise more than is left of the payment: its row is locked (until the unit of
    work ends) so that concurrent approvals count each other."""
    refund = step.record
    amount = approval_amount(refund, step.fields.get("amount"))
    payment = locked_payment(refund.payment_id)
    if committed_baisa(payment.id, excluding=refund.id) + amount > payment.amount_baisa:
        raise Conflict(code="over_refund", detail=N_("This would refund more than was paid."))


def needs_a_first_approval(step: Step) -> None:
    """`first_approval` is the first of two approvals: above the threshold, none recorded yet."""
    refund = step.record
    if not first_approval_due(refund, approval_amount(refund, step.fields.get("amount"))):
        raise step.workflow.refusal(refund, step.action)


def four_eyes(step: Step) -> None:
    """At or below the threshold one approval moves the money; above it, only a second one by a
    finance officer other than the first."""
    refund = step.record
    amount = approval_amount(refund, step.fields.get("amount"))
    if amount <= threshold():
        return
    if refund.first_approver_id is None or refund.first_approver_id == step.actor.id:
        raise Forbidden(
            code="second_approver_required",
            detail=N_("A second, different finance officer must approve this refund."),
        )


def destination_by_another_officer(step: Step) -> None:
    """Above the threshold, whoever entered the IBAN does not also complete the transfer: no one
    redirects money alone."""
    refund = step.record
    if refund.amount_approved > threshold() and refund.destination_set_by_id == step.actor.id:
        raise Forbidden(
            code="destination_needs_second_officer",
            detail=N_(
                "Above the second-approval amount, whoever entered the IBAN cannot also "
                "complete the transfer."
            ),
        )


def transfer_proof_uploaded(step: Step) -> None:
    has_proof = db.session.scalar(
        sa.select(RefundFile.id)
        .where(RefundFile.refund_id == step.record.id, RefundFile.kind == "transfer_proof")
        .limit(1)
    )
    if has_proof is None:
        raise ValidationFailed({"file": [N_("Upload the transfer proof first.")]})
