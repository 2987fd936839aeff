"""What refunds does when another package states a fact (`app.events`): handlers take ids, run
after the fact's commit in their own unit of work, and are idempotent."""

from __future__ import annotations

# --- Branch `pay` only: a minimal handler so that the refund flow keeps working on this branch. --
# It is what payments' `_apply_refund_event` did, moved here; the refunds helper writes the real
# one on its own branch, and the lead takes that at merge.
import sqlalchemy as sa

from app.events import subscribe
from app.extensions import db
from refunds.models import Refund
from refunds.services import record_gateway_answer


@subscribe("gateway.refund_reported")
def record_reported_refund(
    gateway: str,
    refund_ref: str,
    status: str,
    failure_reason: str | None,
    key: str | None,
    refund_reference: str | None,
) -> str:
    refund_id = db.session.scalar(
        sa.select(Refund.id).where(Refund.gateway_refund_id == refund_ref)
    )
    if refund_id is None and refund_reference:
        # Not (or no longer) the refund's current gateway refund: our metadata says whose it is.
        refund_id = db.session.scalar(
            sa.select(Refund.id).where(Refund.reference == refund_reference)
        )
    if refund_id is None:
        return "unknown refund"
    return record_gateway_answer(refund_id, refund_ref, status, failure_reason, key=key)
