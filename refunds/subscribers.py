"""What refunds does when another package states a fact (`app.events`): handlers take ids, run
after the fact's commit in their own unit of work, and are idempotent."""

from __future__ import annotations

import sqlalchemy as sa

from app.events import subscribe
from app.extensions import db
from refunds.models import Refund
from refunds.payout import record_gateway_answer


@subscribe("gateway.refund_reported")
def record_reported_refund(
    gateway: str,
    refund_ref: str,
    status: str,
    failure_reason: str | None = None,
    key: str | None = None,
    refund_reference: str | None = None,
) -> str:
    """A verified webhook about a gateway refund (`status` in our words): the refund whose
    gateway refund it is, or, when it is not (or no longer) the refund's current one, the refund
    our metadata names (`refund_reference`; `key` says which round). Applied once: the refund is
    locked and an answer already applied changes nothing (`payout.record_gateway_answer`)."""
    refund_id = db.session.scalar(
        sa.select(Refund.id).where(Refund.gateway_refund_id == refund_ref)
    )
    if refund_id is None and refund_reference:
        refund_id = db.session.scalar(
            sa.select(Refund.id).where(Refund.reference == refund_reference)
        )
    if refund_id is None:
        return "unknown refund"
    return record_gateway_answer(refund_id, refund_ref, status, failure_reason, key=key)
