"""What the refund table's steps write besides the state, in the caller's unit of work: the SLA
clock, the timeline and audit row of every step, the fields a step sets, the notices (outbox),
the send job (after commit) and the `refund.settled` event."""

from __future__ import annotations

from app.audit import record_change
from app.events import publish
from app.i18n import N_, in_language
from app.money import format_baisa
from app.workflow import Step, audited
from jobs import enqueue
from refunds.guards import approval_amount, threshold
from refunds.models import Refund
from refunds.trail import tell, timeline

SEND = "refunds.tasks.send_refund"  # the send job (refunds/tasks.py)
# The decision words of the `refund_decided` notice, in each language of its templates.
APPROVED = N_("approved")
REJECTED = N_("rejected")
NOT_TRANSFERRED = N_("not transferred")


def decision(word: str) -> dict[str, str]:
    return {"decision_ar": in_language("ar", word), "decision_en": in_language("en", word)}


def move_clock(step: Step) -> None:
    """Every step: what it does to the SLA clock (start, pause, resume, stop, or nothing)."""
    step.record.move_clock(step.transition.sla, step.now)
    step.record.last_action_at = step.now  # where the escalation ladder's idle spell starts


def trail(step: Step) -> None:
    """Every step, last: its timeline entry (with the note an effect chose, else the one given)
    and its audit row (with what an effect added to it)."""
    refund, fields = step.record, step.fields
    note = step.result.get("note") or fields.get("note") or fields.get("reason_en")
    timeline(refund, step.actor, step.action, step.source, step.target, note)
    _audited(step)


_audited = audited("refund", after=lambda step: step.result.get("audit", {}))


def record_first_approval(step: Step) -> None:
    refund = step.record
    refund.amount_approved = _amount(step)
    refund.first_approver_id = step.actor.id
    step.result["note"] = format_baisa(refund.amount_approved)
    step.result["audit"] = {"amount": refund.amount_approved}


def record_approval(step: Step) -> None:
    """The approval (the only one, or the second of two) and the send job, after commit."""
    refund = step.record
    refund.amount_approved = _amount(step)
    if refund.first_approver_id is None:
        refund.first_approver_id = step.actor.id
    elif refund.amount_approved > threshold():
        refund.second_approver_id = step.actor.id
    tell(
        refund,
        "refund_decided",
        {"amount": format_baisa(refund.amount_approved), **decision(APPROVED)},
    )
    enqueue(SEND, refund.id, queue="high")


def record_rejection(step: Step) -> None:
    refund, fields = step.record, step.fields
    refund.rejection_reason_ar, refund.rejection_reason_en = (
        fields["reason_ar"],
        fields["reason_en"],
    )
    tell(
        refund,
        "refund_decided",
        {
            "amount": format_baisa(refund.amount_requested),
            **decision(REJECTED),
            "reason_ar": fields["reason_ar"],
            "reason_en": fields["reason_en"],
        },
    )


def ask_for_evidence(step: Step) -> None:
    tell(step.record, "refund_evidence_requested", {"note": step.fields["note"]})


def record_gateway_failure(step: Step) -> None:
    """The gateway failed the card refund (`reason`: its words): the applicant is told."""
    refund = step.record
    refund.failure_reason = step.fields.get("reason") or step.fields.get("status") or "failed"
    step.result["note"] = step.fields.get("reason")
    tell(
        refund,
        "refund_decided",
        {"amount": format_baisa(refund.amount_approved), **decision(NOT_TRANSFERRED)},
    )


def record_transfer(step: Step) -> None:
    step.record.transfer_reference = step.fields["transfer_reference"]


def settle(step: Step) -> None:
    """The money is back: the refund is settled, and receipts (the credit note, its notice) are
    told by `refund.settled` once this commits."""
    refund = step.record
    refund.refunded_at = step.now
    publish("refund.settled", refund_id=refund.id, payment_id=refund.payment_id)


def new_gateway_round(step: Step) -> None:
    """A retry: a card refund goes to the gateway again as a new refund under a new key (the old
    key would only give back the failed one); a bank transfer is back on finance's list."""
    refund = step.record
    if refund.method == "card":
        supersede_gateway_refund(refund, "retry")
        refund.failure_reason = None
    enqueue(SEND, refund.id, queue="high")


def pay_by_bank_transfer(step: Step) -> None:
    """Finance pays a refund the gateway would not make by bank transfer: the change of
    destination is audited with the old and new account, and whoever entered the IBAN is kept
    (above the four-eyes threshold another officer completes the transfer)."""
    refund, fields = step.record, step.fields
    before = {"method": refund.method, "iban": refund.iban, "account_holder": refund.account_holder}
    if refund.gateway_refund_id or refund.gateway_attempts:
        supersede_gateway_refund(refund, "switch_to_bank_transfer")
    refund.method, refund.iban, refund.account_holder = (
        "bank_transfer",
        fields["iban"],
        fields["account_holder"],
    )
    refund.destination_set_by_id = step.actor.id
    record_change(
        "refund.destination_changed",
        "refund",
        refund.reference,
        authority_id=refund.authority_id,
        before=before,
        after={
            "method": "bank_transfer",
            "iban": refund.iban,
            "account_holder": fields["account_holder"],
        },
    )


def supersede_gateway_refund(refund: Refund, action: str) -> None:
    """Forget the failed gateway refund on the row, so that nothing said later about it (a late
    success) can complete this refund: it is kept in the audit log and the timeline, and the
    gateway's metadata still leads its webhooks here, to be flagged (`record_gateway_answer`)."""
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


def _amount(step: Step) -> int:
    return approval_amount(step.record, step.fields.get("amount"))
