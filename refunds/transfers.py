"""Bank transfers finance makes by hand: done (after its proof) or failed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.accounts.models import User
from app.errors import Conflict, Forbidden, ValidationFailed
from app.extensions import db
from app.i18n import N_
from refunds.models import Refund, RefundFile
from refunds.payout import complete
from refunds.queries import locked_refund, role_of
from refunds.rules import PAYING_OUT_REFUSED, not_the_requester


def complete_transfer(actor: User, refund_id: int, transfer_reference: str) -> Refund:
    """Finance records a bank transfer made (after its proof): not the requester, and above the
    four-eyes threshold not whoever entered the IBAN, so no one redirects money alone."""
    refund = locked_refund(actor, refund_id)
    if role_of(refund, actor) != "finance":
        raise Forbidden()
    not_the_requester(refund, actor, PAYING_OUT_REFUSED)
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
    complete(refund, actor, "transfer_done", {"transfer_reference": transfer_reference})
    db.session.commit()
    return refund
