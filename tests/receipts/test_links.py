"""Receipts have their own series mark; payments, refunds, receipts and credit notes name each
other; the refund-completed e-mail carries the credit note as the payment e-mail the receipt."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from receipts.models import Receipt
from tests.factories import staff_headers
from tests.notifications.conftest import sending
from tests.payments.conftest import wait_for
from tests.receipts.test_receipts import _paid

BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL's default


def _refunded(app, client, localstripe, headers, payment):
    refund = client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=headers,
        json={"amount": "1.000", "reason": "duplicate_payment", "reason_text": "Paid twice"},
    ).get_json()
    _, finance = staff_headers(app, client, "finance", "NBG")
    for action in ("start_review", "approve"):
        answer = client.post(f"/api/v1/refunds/{refund['id']}/actions/{action}", headers=finance)
        assert answer.status_code == 200, answer.get_json()

    def refunded():
        body = client.get(f"/api/v1/refunds/{refund['id']}", headers=headers).get_json()
        return body if body["state"] == "refunded" else None

    wait_for(refunded)
    assert app.extensions["jobs"].drain(30)  # the credit note comes after, on refund.settled
    return refunded(), finance


def test_a_receipt_number_has_its_series_mark_unlike_an_application_reference(
    stripe_app, live, localstripe, client
):
    _, _, application, _, number = _paid(stripe_app, client, localstripe)

    assert re.fullmatch(r"NBG-RC-20\d\d-\d{6}", number)
    assert re.fullmatch(r"NBG-\d{4}-\d{6}", application["reference"])


def test_a_receipt_numbered_before_the_series_mark_still_verifies(
    stripe_app, live, localstripe, client
):
    _, headers, _, _, number = _paid(stripe_app, client, localstripe)
    with stripe_app.app_context():
        receipt = db.session.scalar(sa.select(Receipt).where(Receipt.number == number))
        # An old receipt as the database keeps it: issued as NBG-<year>-<n>, never renumbered.
        # Inserted as a copy (receipts refuse any change), for a payment of the same payer.
        columns = {
            c.key: getattr(receipt, c.key)
            for c in Receipt.__table__.columns
            if c.key not in ("id", "receipt_for_payment")
        }
        old_number = "NBG-2025-000002"
        db.session.execute(
            sa.insert(Receipt).values(**{**columns, "number": old_number, "document_key": None})
        )
        db.session.commit()
        code = receipt.verification_code
    answer = client.get(f"/api/v1/receipts/{old_number}/verify?code={code}")
    assert answer.status_code == 200 and answer.get_json()["valid"] is True
    pdf = client.get(f"/api/v1/receipts/{old_number}", headers=headers)
    assert (
        pdf.status_code == 200
        and old_number in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    )


def test_payment_receipt_refund_and_credit_note_name_each_other(
    stripe_app, live, localstripe, client
):
    with sending(stripe_app) as (smtp, _):
        user, headers, _, payment, number = _paid(stripe_app, client, localstripe)
        refund, finance = _refunded(stripe_app, client, localstripe, headers, payment)
        wait_for(lambda: any("paid" in m["Subject"] for m in smtp.messages))

    # Payment → receipt.
    seen = client.get(f"/api/v1/payments/{payment['payment_id']}", headers=finance).get_json()
    assert seen["receipt"] == {"number": number, "url": f"{BASE}/api/v1/receipts/{number}"}
    # Refund → credit note.
    note = refund["credit_note"]
    assert re.fullmatch(r"NBG-CN-20\d\d-\d{6}", note["number"])
    assert note["url"] == f"{BASE}/api/v1/receipts/{note['number']}"
    # Receipt → payment, and its credit notes.
    receipt = client.get(f"/api/v1/receipts/{number}/details", headers=headers).get_json()
    assert receipt["kind"] == "receipt" and receipt["refund"] is None
    assert receipt["payment"] == {
        "id": payment["payment_id"],
        "reference": payment["reference"],
        "url": f"{BASE}/api/v1/payments/{payment['payment_id']}",
    }
    assert receipt["credit_notes"] == [note] and receipt["refers_to"] is None
    assert receipt["document_url"] == f"{BASE}/api/v1/receipts/{number}"
    assert receipt["verification_url"].startswith(f"{BASE}/api/v1/receipts/{number}/verify?code=")
    # Credit note → refund, and the receipt it corrects.
    credit = client.get(f"/api/v1/receipts/{note['number']}/details", headers=finance).get_json()
    assert credit["kind"] == "credit_note" and credit["amount"] == "-1.000"
    assert credit["refund"] == {
        "id": refund["id"],
        "reference": refund["reference"],
        "url": f"{BASE}/api/v1/refunds/{refund['id']}",
    }
    assert credit["refers_to"] == {"number": number, "url": f"{BASE}/api/v1/receipts/{number}"}
    assert credit["payment"]["id"] == payment["payment_id"]
    # Only the payer and finance staff see them.
    _, inspector = staff_headers(stripe_app, client, "inspector", "NBG")
    assert client.get(f"/api/v1/receipts/{number}/details", headers=inspector).status_code == 403

    # The refund-completed e-mail carries the credit note's PDF, as the payment e-mail the receipt.
    [mail] = [
        m
        for m in smtp.messages
        if m["To"] == user["email"]
        and m["Subject"].startswith(f"Refund {refund['reference']}")
        and "paid" in m["Subject"]
    ]
    [attached] = list(mail.iter_attachments())
    assert attached.get_filename() == f"{note['number']}.pdf"
    assert attached.get_content_type() == "application/pdf"
    pdf = attached.get_payload(decode=True)
    assert pdf == client.get(f"/api/v1/receipts/{note['number']}", headers=headers).data
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert note["number"] in text and number in text
