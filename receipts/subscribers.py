"""What receipts does when another package states a fact (`app.events`): handlers take ids, run
after the fact's commit in their own unit of work, and are idempotent (lock, look, act).

- `payment.succeeded`: the payment's receipt, and the `payment_received` notice carrying it.
- `refund.settled`: the refund's credit note, and the `refund_completed` notice carrying it.

One document per payment and per refund: the handler locks the payment or refund row and looks
for the document first; where the database has no row locks (SQLite) the unique keys on
`receipts.receipt_for_payment` and `receipts.refund_id` refuse the second, whose job then finds
the first when it is retried. A notice goes out only with the document this delivery issued.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.events import subscribe
from app.extensions import db
from app.money import format_baisa
from app.notifications.services import notify
from licensing.models import Application
from payments.models import Payment
from receipts.models import Receipt
from receipts.services import (
    attachment_of,
    credit_note_of_refund,
    issue_credit_note,
    issue_receipt_once,
    receipt_of_payment,
    verify_url,
)
from refunds.models import Refund

PAID = "succeeded"
SETTLED = "refunded"


class ReceiptNotIssuedYet(RuntimeError):
    """A refund settled before its payment's receipt was issued: the credit note, which refers to
    the receipt, waits for it (the delivery job is retried)."""


@subscribe("payment.succeeded")
def issue_payment_receipt(payment_id: int, application_id: int | None = None) -> str:
    """The receipt of a succeeded payment, issued once, and the notice that carries it."""
    payment = db.session.scalar(_PAYMENT_WITH_ITS_RECORDS, {"payment_id": payment_id})
    if payment is None or payment.state != PAID:
        return "not a succeeded payment"
    receipt, issued = issue_receipt_once(payment)
    if not issued:
        return "receipt already issued"
    _notify_paid(payment, receipt)
    return f"receipt {receipt.number}"


# The payment, locked, with everything its receipt and notice show (application, its service
# and authority, the payer) in the same statement: one round trip, not five lazy loads.
_PAYMENT_WITH_ITS_RECORDS = (
    sa.select(Payment)
    .where(Payment.id == sa.bindparam("payment_id"))
    .options(
        joinedload(Payment.application).joinedload(Application.service),
        joinedload(Payment.application).joinedload(Application.authority),
        joinedload(Payment.payer),
    )
    .with_for_update(of=Payment)
)


@subscribe("refund.settled")
def issue_refund_credit_note(refund_id: int, payment_id: int | None = None) -> str:
    """The credit note of a settled refund (its approved amount, as a negative line referring to
    the payment's receipt), issued once, and the notice that carries it."""
    refund = db.session.scalar(sa.select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None or refund.state != SETTLED:
        return "not a settled refund"
    if credit_note_of_refund(refund.id) is not None:
        return "credit note already issued"
    receipt = receipt_of_payment(refund.payment_id)
    if receipt is None:
        raise ReceiptNotIssuedYet(f"refund {refund.id}: payment {refund.payment_id} has no receipt")
    note = issue_credit_note(
        refund,
        receipt,
        refund.amount_approved,
        refund.gateway_refund_id or refund.transfer_reference,
    )
    _notify_refunded(refund, note)
    return f"credit note {note.number}"


def _notify_paid(payment: Payment, receipt: Receipt) -> None:
    """The payment notices: the e-mail carries the receipt, the SMS its number and link."""
    application = payment.application
    notify(
        application.applicant,
        "payment_received",
        {
            "reference": application.reference,
            "amount": format_baisa(payment.amount_baisa),
            "service_ar": application.service.name_ar,
            "service_en": application.service.name_en,
            "receipt_number": receipt.number,
            "verify_url": verify_url(receipt),
        },
        subject=("payment", payment.reference),
        authority_id=payment.authority_id,
        attachments=[attachment_of(receipt)],
    )


def _notify_refunded(refund: Refund, note: Receipt) -> None:
    """The refund's completion notice, with the credit note's PDF as the receipt's."""
    notify(
        refund.applicant,
        "refund_completed",
        {
            "refund_reference": refund.reference,
            "amount": format_baisa(refund.amount_approved),
            "credit_note": note.number,
        },
        subject=("refund", refund.reference),
        authority_id=refund.authority_id,
        attachments=[attachment_of(note)],
    )
