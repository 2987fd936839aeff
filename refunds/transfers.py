"""Bank transfers finance makes by hand: done (after its proof) or failed. Both are rules of the
table (`transfer_done`, `transfer_failed`): not for whoever asked, bank transfers only, and above
the four-eyes threshold `transfer_done` not for whoever entered the IBAN."""

from __future__ import annotations

from app.accounts.models import User
from refunds.decisions import act
from refunds.models import Refund


def complete_transfer(actor: User, refund_id: int, transfer_reference: str) -> Refund:
    """Finance records a bank transfer made, after uploading its proof; in the caller's unit of
    work. The refund is settled (`refund.settled`: receipts issues the credit note)."""
    return act(actor, refund_id, "transfer_done", {"transfer_reference": transfer_reference})


def fail_transfer(actor: User, refund_id: int, note: str) -> Refund:
    """Finance records that a bank transfer did not go through (`note`: why); it may be retried."""
    return act(actor, refund_id, "transfer_failed", {"note": note})
