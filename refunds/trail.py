"""What a refund leaves behind for people: its timeline and the notices to its applicant."""

from __future__ import annotations

from typing import Any

from app.notifications.services import notify
from refunds.models import Refund, RefundEvent


def timeline(refund: Refund, actor, action: str, source: str, target: str, note) -> None:
    """A timeline entry in the caller's transaction (`actor`: a user, or "system")."""
    RefundEvent.add(actor, action, source, target, note, refund_id=refund.id)


def tell(refund: Refund, event: str, context: dict[str, Any]) -> None:
    """A notice to the refund's applicant, through the outbox (sent after commit)."""
    notify(
        refund.applicant,
        event,
        {"refund_reference": refund.reference, **context},
        subject=("refund", refund.reference),
        authority_id=refund.authority_id,
    )
