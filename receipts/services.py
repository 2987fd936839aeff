"""Issuing receipts and credit notes, rendering them, and finding them for who may see them."""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.access import role_on_record
from app.accounts.models import Role, User
from app.accounts.services import mask
from app.errors import NotFound
from app.extensions import db
from app.files.storage import keep_generated, storage
from app.money import format_baisa
from app.notifications.channels import Attachment
from app.notifications.services import register_attachment_loader
from app.numbering import next_number
from app.timeutil import MUSCAT, utcnow
from jobs import enqueue
from receipts.models import Receipt

log = logging.getLogger(__name__)
RENDER = "receipts.services.render_receipt"
METHOD_NAMES = {"card": ("بطاقة", "Card"), "bank_transfer": ("تحويل مصرفي", "Bank transfer")}


# Each series has its own mark, so that a receipt number never looks like an application
# reference (NBG-2026-000003). Receipts issued before the mark (NBG-2026-000002) keep their
# numbers; the counter is the same, so a year's receipts stay one gapless sequence.
SERIES = {"receipt": ("receipt", "RC"), "credit_note": ("credit_note", "CN")}


def _number(authority, kind: str, year: int) -> str:
    counter, mark = SERIES[kind]
    return f"{authority.code}-{mark}-{year}-{next_number(authority.id, counter, year):06d}"


def issue_receipt(payment) -> Receipt:
    """The receipt of a succeeded payment, in the caller's transaction (which holds the payment's
    row lock): numbered there, rendered by a job after commit. Issued once: a second call gives the
    first receipt back."""
    return issue_receipt_once(payment)[0]


def issue_receipt_once(payment) -> tuple[Receipt, bool]:
    """`issue_receipt`, and whether this call issued it (False: it was issued before)."""
    existing = receipt_of_payment(payment.id)
    if existing is not None:
        return existing, False
    return _new_receipt(payment), True


def _new_receipt(payment) -> Receipt:
    application = payment.application
    payer = payment.payer
    return _issue(
        application.authority,
        "receipt",
        payment_id=payment.id,
        receipt_for_payment=payment.id,
        payer_id=payer.id,
        amount_baisa=payment.amount_baisa,
        payer_name=payer.trade_name or payer.name,
        payer_id_masked=mask(payer.cr_number or payer.civil_id),
        service_code=application.service.code,
        service_name_ar=application.service.name_ar,
        service_name_en=application.service.name_en,
        application_reference=application.reference,
        card_brand=payment.card_brand,
        card_last4=payment.card_last4,
        gateway_reference=payment.gateway_charge_id or payment.gateway_intent_id,
    )


def issue_credit_note(
    refund, original: Receipt, amount_baisa: int, gateway_reference: str | None
) -> Receipt:
    """A credit note for a succeeded refund, referring to the payment's receipt, with the refunded
    amount as a negative line. In the caller's transaction; issued once per refund."""
    existing = credit_note_of_refund(refund.id)
    if existing is not None:
        return existing
    return _issue(
        original.authority,
        "credit_note",
        payment_id=original.payment_id,
        refund_id=refund.id,
        refers_to_id=original.id,
        payer_id=original.payer_id,
        amount_baisa=-abs(amount_baisa),
        payer_name=original.payer_name,
        payer_id_masked=original.payer_id_masked,
        service_code=original.service_code,
        service_name_ar=original.service_name_ar,
        service_name_en=original.service_name_en,
        application_reference=original.application_reference,
        payment_method=refund.method,
        # A bank transfer shows its own reference, not the card the fee was paid with.
        card_brand=original.card_brand if refund.method == "card" else None,
        card_last4=original.card_last4 if refund.method == "card" else None,
        gateway_reference=gateway_reference,
    )


def _issue(authority, kind: str, **shown: Any) -> Receipt:
    """Number a receipt or credit note in the caller's transaction, keep it, and have a job render
    it after commit."""
    now = utcnow()
    document = Receipt(
        number=_number(authority, kind, now.astimezone(MUSCAT).year),
        kind=kind,
        authority_id=authority.id,
        issued_at=now,
        verification_code=secrets.token_urlsafe(12),
        **shown,
    )
    db.session.add(document)
    db.session.flush()
    enqueue(RENDER, document.id, queue="default", job_id=f"render-receipt-{document.id}")
    return document


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def verify_url(receipt: Receipt) -> str:
    return f"{_base()}/api/v1/receipts/{receipt.number}/verify?code={receipt.verification_code}"


def document_url(number: str) -> str:
    """Where its payer and finance staff download a receipt or credit note (the PDF)."""
    return f"{_base()}/api/v1/receipts/{number}"


def document_link(receipt: Receipt | None) -> dict[str, str] | None:
    """How payments and refunds name their receipt or credit note: number and URL."""
    return (
        None if receipt is None else {"number": receipt.number, "url": document_url(receipt.number)}
    )


def receipt_of_payment(payment_id: int) -> Receipt | None:
    return db.session.scalar(sa.select(Receipt).where(Receipt.receipt_for_payment == payment_id))


def credit_note_of_refund(refund_id: int) -> Receipt | None:
    return db.session.scalar(sa.select(Receipt).where(Receipt.refund_id == refund_id))


def attachment_of(receipt: Receipt) -> dict[str, Any]:
    """The e-mail attachment of a receipt or credit note: its PDF, loaded when the e-mail is sent
    (rendered then if the render job has not run yet, the same bytes either way)."""
    return {"kind": "receipt", "receipt_id": receipt.id}


def receipt_context(receipt: Receipt) -> dict[str, Any]:
    from app.money_words import amount_in_words_ar, amount_in_words_en

    credit = receipt.kind == "credit_note"
    line_ar = ("استرداد: " if credit else "رسوم: ") + receipt.service_name_ar
    line_en = ("Refund: " if credit else "Fee: ") + receipt.service_name_en
    return {
        "kind": receipt.kind,
        "authority_name_ar": receipt.authority.name_ar,
        "authority_name_en": receipt.authority.name_en,
        "number": receipt.number,
        "refers_to_number": receipt.refers_to.number if receipt.refers_to else None,
        "issued_at": receipt.issued_at,
        "payer_name": receipt.payer_name,
        "payer_id_masked": receipt.payer_id_masked,
        "service_name_ar": receipt.service_name_ar,
        "service_name_en": receipt.service_name_en,
        "application_reference": receipt.application_reference,
        "lines": [
            {
                "description_ar": line_ar,
                "description_en": line_en,
                "amount": format_baisa(receipt.amount_baisa),
            }
        ],
        "total": format_baisa(receipt.amount_baisa),
        "amount_words_ar": amount_in_words_ar(receipt.amount_baisa),
        "amount_words_en": amount_in_words_en(receipt.amount_baisa),
        "payment_method": receipt.payment_method,
        "payment_method_ar": METHOD_NAMES[receipt.payment_method][0],
        "payment_method_en": METHOD_NAMES[receipt.payment_method][1],
        "card_brand": receipt.card_brand,
        "card_last4": receipt.card_last4,
        "gateway_reference": receipt.gateway_reference,
        "verify_url": verify_url(receipt),
    }


def receipt_pdf(receipt: Receipt) -> bytes:
    """The document's bytes: the stored rendering, or rendered and recorded now (in the caller's
    unit of work)."""
    if receipt.document_key:
        return storage().load(receipt.document_key)
    render_receipt(receipt.id)
    # The rendering was recorded by an UPDATE: read the row again for the key it holds now.
    rendered = db.session.get(Receipt, receipt.id, populate_existing=True)
    return storage().load(rendered.document_key)


def render_receipt(receipt_id: int) -> None:
    """Job: render the PDF once and keep it with its SHA-256 (the same receipt renders the same),
    in the caller's unit of work."""
    from app.pdf import render_pdf

    receipt = db.session.scalar(
        sa.select(Receipt).where(Receipt.id == receipt_id).with_for_update()
    )
    if receipt is None or receipt.document_key:
        return
    pdf = render_pdf("receipt.html.j2", receipt_context(receipt))
    key, sha256 = keep_generated(f"receipt-{receipt.id}", pdf)
    # SQLite has no row locks: the render job and a payer asking for the PDF at once can both
    # get here. The first to record its rendering wins; the database refuses a second (the row is
    # never edited), so the other records nothing, and its file, the same bytes, stays unused.
    recorded = db.session.execute(
        sa.update(Receipt)
        .where(Receipt.id == receipt_id, Receipt.document_key.is_(None))
        .values(document_key=key, document_sha256=sha256)
        .execution_options(synchronize_session=False)
    ).rowcount
    if recorded:
        log.info("receipt rendered", extra={"receipt_id": receipt_id})


def _load_receipt_attachment(reference: dict[str, Any]) -> Attachment:
    receipt = db.session.get(Receipt, reference["receipt_id"])
    return Attachment(f"{receipt.number}.pdf", "application/pdf", receipt_pdf(receipt))


register_attachment_loader("receipt", _load_receipt_attachment)


def receipt_links(receipt: Receipt) -> dict[str, Any]:
    """What a receipt or credit note is linked to: its payment, its refund (a credit note), the
    receipt it corrects and the credit notes that correct it, each with its URL."""
    from payments.models import Payment
    from refunds.models import Refund

    base = _base()
    payment = db.session.get(Payment, receipt.payment_id)
    refund = db.session.get(Refund, receipt.refund_id) if receipt.refund_id else None
    corrections = db.session.scalars(
        sa.select(Receipt).where(Receipt.refers_to_id == receipt.id).order_by(Receipt.id)
    )
    return {
        "payment": {
            "id": payment.id,
            "reference": payment.reference,
            "url": f"{base}/api/v1/payments/{payment.id}",
        },
        "refund": None
        if refund is None
        else {
            "id": refund.id,
            "reference": refund.reference,
            "url": f"{base}/api/v1/refunds/{refund.id}",
        },
        "refers_to": document_link(receipt.refers_to),
        "credit_notes": [document_link(note) for note in corrections],
    }


def find_receipt(user: User, number: str) -> Receipt:
    """The receipt for its payer or finance staff of its authority; 404 for anyone else."""
    receipt = db.session.scalar(sa.select(Receipt).where(Receipt.number == number))
    if receipt is None or role_on_record(user, receipt.payer_id, receipt.authority_id) not in (
        "applicant",
        Role.FINANCE.value,
    ):
        raise NotFound()
    return receipt


def receipts_query(user: User, filters: dict[str, Any]) -> sa.Select:
    """The receipts and credit notes `user` may see, newest first: an applicant's own, or those of
    the authority for finance staff; by application reference and kind when asked."""
    if user.role == Role.APPLICANT:
        select = sa.select(Receipt).where(Receipt.payer_id == user.id)
    else:
        select = sa.select(Receipt).where(Receipt.authority_id == user.authority_id)
    if filters.get("application"):
        select = select.where(Receipt.application_reference == filters["application"])
    if filters.get("kind"):
        select = select.where(Receipt.kind == filters["kind"])
    return select.order_by(Receipt.id.desc())


def verify_receipt(number: str, code: str) -> Receipt:
    receipt = db.session.scalar(sa.select(Receipt).where(Receipt.number == number))
    # Compared as bytes: a code with characters outside ASCII is simply wrong, not an error.
    if receipt is None or not hmac.compare_digest(
        receipt.verification_code.encode(), code.encode("utf-8", "replace")
    ):
        raise NotFound()
    return receipt
