"""Refunds end to end: asked with evidence, reviewed with four eyes, paid back once, credited."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app import uow
from app.extensions import db
from app.files.storage import storage
from app.notifications.models import Notification
from app.timeutil import utcnow
from receipts.models import Receipt
from refunds.models import Refund
from refunds.routes import iban_is_valid
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import PDF, PNG
from tests.payments.conftest import wait_for
from tests.receipts.test_receipts import _paid

IBAN = "OM810180000001299123456"  # check digits computed for the test


def _upload(client, headers, refund_id, kind, content=PDF, name="statement.pdf"):
    return client.post(
        f"/api/v1/refunds/{refund_id}/files",
        headers=headers,
        content_type="multipart/form-data",
        data={"kind": kind, "file": (io.BytesIO(content), name)},
    )


def _act(client, headers, refund_id, action, **body):
    return client.post(f"/api/v1/refunds/{refund_id}/actions/{action}", json=body, headers=headers)


def _refund(app, refund_id):
    with app.app_context():
        return db.session.get(Refund, refund_id, populate_existing=True)


def test_iban_check_digits():
    assert iban_is_valid(IBAN) and iban_is_valid("GB82 WEST 1234 5698 7654 32")
    assert (
        not iban_is_valid(IBAN[:-1] + "7")
        and not iban_is_valid("OM81018")
        and not iban_is_valid("XX00")
    )


def test_partial_card_refund_end_to_end(stripe_app, live, localstripe, client):
    user, headers, application, payment, receipt_number = _paid(stripe_app, client, localstripe)
    asked = client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=headers,
        json={"amount": "1.000", "reason": "duplicate_payment", "reason_text": "Paid twice"},
    )
    assert asked.status_code == 201, asked.get_json()
    refund = asked.get_json()
    assert (refund["state"], refund["amount_requested"], refund["method"]) == (
        "submitted",
        "1.000",
        "card",
    )
    assert refund["sla_due_date"]
    assert _upload(client, headers, refund["id"], "bank_statement").status_code == 201

    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    assert _act(client, finance, refund["id"], "start_review").get_json()["state"] == "under_review"
    asked_more = _act(
        client, finance, refund["id"], "request_evidence", note="Send the transaction receipt"
    )
    assert asked_more.get_json()["state"] == "evidence_requested"
    assert (
        _upload(
            client, headers, refund["id"], "transaction_receipt", PNG, "receipt.png"
        ).status_code
        == 201
    )
    assert _refund(stripe_app, refund["id"]).state == "under_review"

    approved = _act(client, finance, refund["id"], "approve")
    assert approved.status_code == 200 and approved.get_json()["amount_approved"] == "1.000"

    wait_for(lambda: _refund(stripe_app, refund["id"]).state == "refunded")
    assert stripe_app.extensions["jobs"].drain(30)
    done = _refund(stripe_app, refund["id"])
    assert done.gateway_refund_id.startswith("re_") and done.gateway_attempts == 1
    charge = localstripe.client().v1.payment_intents.retrieve(
        payment["gateway_intent_id"], params={"expand": ["latest_charge"]}
    )
    assert charge.latest_charge.amount_refunded == 1000

    with stripe_app.app_context():
        note = db.session.scalar(sa.select(Receipt).where(Receipt.refund_id == refund["id"]))
        assert note.kind == "credit_note" and note.amount_baisa == -1000
        assert note.refers_to.number == receipt_number
        events = set(
            db.session.scalars(
                sa.select(Notification.event).where(Notification.user_id == user["id"])
            )
        )
    assert {
        "refund_submitted",
        "refund_evidence_requested",
        "refund_decided",
        "refund_completed",
    } <= events
    pdf = client.get(f"/api/v1/receipts/{note.number}", headers=headers)
    text = " ".join(PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text().split())
    assert note.number in text and receipt_number in text and "-1.000" in text

    mine = client.get("/api/v1/refunds", headers=headers).get_json()
    assert [r["reference"] for r in mine] == [refund["reference"]]
    detail = client.get(f"/api/v1/refunds/{refund['id']}", headers=headers).get_json()
    assert [e["action"] for e in detail["timeline"]][:3] == [
        "request",
        "start_review",
        "request_evidence",
    ]
    assert {f["kind"] for f in detail["files"]} == {"bank_statement", "transaction_receipt"}

    too_much = client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=headers,
        json={"amount": "2.500", "reason": "overcharge"},
    )
    assert too_much.status_code == 422 and too_much.get_json()["refundable"] == "2.000"


def test_four_eyes_and_the_requester_cannot_decide(stripe_app, live, localstripe, client):
    stripe_app.config["REFUND_SECOND_APPROVAL_BAISA"] = 1_000  # the lease fee is 3.000
    try:
        user, headers, application, payment, _ = _paid(stripe_app, client, localstripe)
        _, first = staff_headers(stripe_app, client, "finance", "NBG")
        _, second = staff_headers(stripe_app, client, "finance", "NBG")
        refund = client.post(
            f"/api/v1/payments/{payment['payment_id']}/refunds",
            headers=first,
            json={
                "reason": "application_rejected_or_withdrawn",
                "method": "bank_transfer",
                "iban": IBAN,
                "account_holder": "Applicant",
            },
        ).get_json()
        assert refund["amount_requested"] == application["fee"]  # the whole payment by default
        own = _act(client, first, refund["id"], "approve")
        assert own.status_code == 403 and own.get_json()["code"] == "requester_cannot_decide"

        once = _act(client, second, refund["id"], "approve")
        assert once.status_code == 200 and once.get_json()["awaiting_second_approval"] is True
        assert once.get_json()["state"] == "under_review"
        again = _act(client, second, refund["id"], "approve")
        assert again.status_code == 403 and again.get_json()["code"] == "second_approver_required"
        assert stripe_app.extensions["jobs"].drain(15)
        assert _refund(stripe_app, refund["id"]).state == "under_review"  # no money moved

        _, third = staff_headers(stripe_app, client, "finance", "NBG")
        assert _act(client, third, refund["id"], "approve").get_json()["state"] == "approved"
        wait_for(lambda: _refund(stripe_app, refund["id"]).state == "processing")
        early = _act(client, third, refund["id"], "transfer_done", transfer_reference="BM-TRX-1")
        assert early.status_code == 422  # the proof comes first
        assert _upload(client, third, refund["id"], "transfer_proof").status_code == 201
        done = _act(client, third, refund["id"], "transfer_done", transfer_reference="BM-TRX-1")
        assert done.status_code == 200 and done.get_json()["state"] == "refunded"
        assert done.get_json()["iban"] == IBAN  # finance makes the transfer: in full
        mine = client.get(f"/api/v1/refunds/{refund['id']}", headers=headers).get_json()
        assert mine["iban"].endswith(IBAN[-4:]) and IBAN not in str(mine)
    finally:
        stripe_app.config["REFUND_SECOND_APPROVAL_BAISA"] = 100_000


def test_others_see_nothing_of_a_refund(stripe_app, live, localstripe, client):
    user, headers, application, payment, _ = _paid(stripe_app, client, localstripe)
    refund = client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=headers,
        json={"reason": "other", "reason_text": "Changed my mind"},
    ).get_json()
    evidence = _upload(client, headers, refund["id"], "bank_statement").get_json()
    _, stranger = applicant_headers(client)
    _, abg_finance = staff_headers(stripe_app, client, "finance", "ABG")
    for outsider in (stranger, abg_finance):
        assert client.get(f"/api/v1/refunds/{refund['id']}", headers=outsider).status_code == 404
        assert (
            client.get(
                f"/api/v1/refunds/{refund['id']}/files/{evidence['id']}", headers=outsider
            ).status_code
            == 404
        )
        assert _act(client, outsider, refund["id"], "withdraw").status_code == 404
    assert (
        client.get(f"/api/v1/refunds/{refund['id']}/files/{evidence['id']}", headers=headers).data
        == PDF
    )
    assert (
        client.post(
            f"/api/v1/payments/{payment['payment_id']}/refunds",
            headers=stranger,
            json={"reason": "other"},
        ).status_code
        == 404
    )
    assert _act(client, headers, refund["id"], "withdraw").get_json()["state"] == "withdrawn"


@pytest.mark.parametrize(
    "content,name,status",
    [(b"MZ\x90\x00", "x.pdf", 415), (b"", "e.pdf", 422), (PDF, "../x.pdf", 422)],
)
def test_evidence_is_checked_like_documents(
    stripe_app, live, localstripe, client, content, name, status
):
    _, headers, _, payment, _ = _paid(stripe_app, client, localstripe)
    refund = client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=headers,
        json={"reason": "overcharge"},
    ).get_json()
    assert (
        _upload(client, headers, refund["id"], "bank_statement", content, name).status_code
        == status
    )


def _approved_card_refund_stuck_in_processing(app, client, localstripe):
    """A card refund approved, its job crashed before it called the gateway: processing, no id."""
    user, headers, application, payment, _ = _paid(app, client, localstripe)
    refund = client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=headers,
        json={"amount": "1.000", "reason": "overcharge"},
    ).get_json()
    with app.app_context():  # test set-up: the crash left it here (a row write, not a step)
        db.session.execute(
            sa.update(Refund)
            .where(Refund.id == refund["id"])
            .values(state="processing", amount_approved=1000)
        )
        db.session.commit()
    return user, payment, refund


def test_reconciliation_sends_a_refund_the_crash_left_unsent_and_credits_once(
    stripe_app, live, localstripe, client
):
    from refunds.tasks import reconcile_refunds

    user, payment, refund = _approved_card_refund_stuck_in_processing(
        stripe_app, client, localstripe
    )
    with stripe_app.app_context():
        assert reconcile_refunds() == 0  # within the grace period: its own job may be sending
        row = db.session.get(Refund, refund["id"])
        row.last_sent_at = utcnow() - dt.timedelta(minutes=6)
        db.session.commit()
        assert reconcile_refunds() == 1
        assert reconcile_refunds() == 0
        done = db.session.get(Refund, refund["id"])
        assert done.state == "refunded" and done.gateway_refund_id.startswith("re_")
        db.session.remove()  # no transaction held while the jobs run
        assert stripe_app.extensions["jobs"].drain(30)  # refund.settled: the credit note
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Receipt)
                .where(Receipt.refund_id == refund["id"])
            )
            == 1
        )
    intent = localstripe.client().v1.payment_intents.retrieve(
        payment["gateway_intent_id"], params={"expand": ["latest_charge"]}
    )
    assert intent.latest_charge.amount_refunded == 1000


def test_refund_webhooks_move_a_refund_on(stripe_app, live, localstripe, client):
    from tests.payments.helpers import post_event

    user, payment, refund = _approved_card_refund_stuck_in_processing(
        stripe_app, client, localstripe
    )
    with stripe_app.app_context():
        db.session.get(Refund, refund["id"]).gateway_refund_id = "re_fromwebhook1"
        db.session.commit()
    failed = {
        "id": "evt_refund_failed_1",
        "object": "event",
        "type": "refund.updated",
        "created": 0,
        "data": {
            "object": {
                "id": "re_fromwebhook1",
                "object": "refund",
                "status": "failed",
                "failure_reason": "expired_or_canceled_card",
                "amount": 1000,
            }
        },
    }
    import time

    failed["created"] = int(time.time())
    assert post_event(client, failed).status_code == 200
    assert stripe_app.extensions["jobs"].drain(15)
    row = _refund(stripe_app, refund["id"])
    assert (row.state, row.failure_reason) == ("failed", "expired_or_canceled_card")
    assert post_event(client, failed).status_code == 200  # a duplicate changes nothing
    assert stripe_app.extensions["jobs"].drain(15)
    assert _refund(stripe_app, refund["id"]).state == "failed"


def test_a_card_the_gateway_will_not_refund_is_paid_by_bank_transfer(
    stripe_app, live, localstripe, client
):
    user, payment, refund = _approved_card_refund_stuck_in_processing(
        stripe_app, client, localstripe
    )
    from refunds.payout import record_gateway_answer

    with stripe_app.app_context(), uow.transaction():
        record_gateway_answer(refund["id"], None, "failed", "charge_for_refund_too_old")
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    bad = _act(
        client,
        finance,
        refund["id"],
        "switch_to_bank_transfer",
        iban="OM000",
        account_holder="A. Holder",
    )
    assert bad.status_code == 422
    switched = _act(
        client,
        finance,
        refund["id"],
        "switch_to_bank_transfer",
        iban=IBAN,
        account_holder="A. Holder",
    )
    assert switched.status_code == 200
    assert (switched.get_json()["state"], switched.get_json()["method"]) == (
        "processing",
        "bank_transfer",
    )
    assert _upload(client, finance, refund["id"], "transfer_proof").status_code == 201
    done = _act(client, finance, refund["id"], "transfer_done", transfer_reference="BM-77")
    assert done.get_json()["state"] == "refunded"
    assert stripe_app.extensions["jobs"].drain(30)
    with stripe_app.app_context():
        note = db.session.scalar(sa.select(Receipt).where(Receipt.refund_id == refund["id"]))
        assert (note.payment_method, note.card_last4, note.gateway_reference) == (
            "bank_transfer",
            None,
            "BM-77",
        )
        text = " ".join(
            page.extract_text()
            for page in PdfReader(io.BytesIO(storage().load(note.document_key))).pages
        )
    # The credit note says how the money went back, not how the fee came in.
    assert "Bank transfer" in text and "Transfer reference" in text and "BM-77" in text
    assert "4242" not in text and "Gateway reference" not in text


def test_reconciliation_sends_an_approved_refund_whose_send_job_was_lost(
    stripe_app, live, localstripe, client
):
    from refunds.tasks import reconcile_refunds

    _, payment, refund = _approved_card_refund_stuck_in_processing(stripe_app, client, localstripe)
    with stripe_app.app_context():
        # Approved, and its send job lost (Redis or the worker down when it was enqueued).
        db.session.execute(
            sa.update(Refund).where(Refund.id == refund["id"]).values(state="approved")
        )
        db.session.commit()
        assert reconcile_refunds() == 0  # just approved: its job may still be on its way
        db.session.execute(
            sa.update(Refund)
            .where(Refund.id == refund["id"])
            .values(updated_at=utcnow() - dt.timedelta(minutes=6))
        )
        db.session.commit()
        assert reconcile_refunds() == 1
        done = db.session.get(Refund, refund["id"])
        assert done.state == "refunded" and done.gateway_refund_id.startswith("re_")
        assert reconcile_refunds() == 0
    intent = localstripe.client().v1.payment_intents.retrieve(
        payment["gateway_intent_id"], params={"expand": ["latest_charge"]}
    )
    assert intent.latest_charge.amount_refunded == 1000
