"""Separation of duties: two people agree on the amount, and whoever asked, or whoever says where
the money goes, cannot also send it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app import uow
from app.audit import AuditEntry
from app.extensions import db
from refunds.models import Refund
from refunds.payout import record_gateway_answer
from tests.factories import staff_headers
from tests.payments.conftest import wait_for
from tests.receipts.test_receipts import _paid
from tests.refunds.test_refunds import IBAN, _act, _refund, _upload


@pytest.fixture
def low_threshold(stripe_app):
    stripe_app.config["REFUND_SECOND_APPROVAL_BAISA"] = 1_000  # the lease fee is 3.000
    yield
    stripe_app.config["REFUND_SECOND_APPROVAL_BAISA"] = 100_000


def test_the_second_approver_approves_the_amount_the_first_agreed_to(
    stripe_app, live, localstripe, client, low_threshold
):
    _, headers, _, payment, _ = _paid(stripe_app, client, localstripe)
    refund = client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=headers,
        json={
            "reason": "overcharge",
            "method": "bank_transfer",
            "iban": IBAN,
            "account_holder": "A. Holder",
        },
    ).get_json()
    _, first = staff_headers(stripe_app, client, "finance", "NBG")
    _, second = staff_headers(stripe_app, client, "finance", "NBG")
    assert _act(client, first, refund["id"], "approve", amount="2.000").status_code == 200
    more = _act(client, second, refund["id"], "approve", amount="2.500")
    assert (
        more.status_code == 409 and more.get_json()["code"] == "amount_differs_from_first_approval"
    )
    assert more.get_json()["first_approval_amount"] == "2.000"
    assert _act(client, second, refund["id"], "approve", amount="1.500").status_code == 409
    row = _refund(stripe_app, refund["id"])
    assert (row.state, row.amount_approved, row.second_approver_id) == ("under_review", 2000, None)
    same = _act(client, second, refund["id"], "approve", amount="2.000")
    assert same.status_code == 200 and same.get_json()["state"] == "approved"
    assert same.get_json()["amount_approved"] == "2.000"


def test_whoever_asked_or_entered_the_iban_cannot_pay_out_alone(
    stripe_app, live, localstripe, client, low_threshold
):
    _, headers, _, payment, _ = _paid(stripe_app, client, localstripe)
    requester, asking = staff_headers(stripe_app, client, "finance", "NBG")
    _, first = staff_headers(stripe_app, client, "finance", "NBG")
    _, second = staff_headers(stripe_app, client, "finance", "NBG")
    _, third = staff_headers(stripe_app, client, "finance", "NBG")
    refund = client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=asking,  # finance asks for the applicant, back to the card
        json={"amount": "2.000", "reason": "duplicate_payment"},
    ).get_json()
    assert _act(client, first, refund["id"], "approve").status_code == 200
    assert _act(client, second, refund["id"], "approve").get_json()["state"] == "approved"
    wait_for(lambda: _refund(stripe_app, refund["id"]).state in ("processing", "refunded"))
    assert stripe_app.extensions["jobs"].drain(30)
    with stripe_app.app_context():  # the card could not be refunded
        db.session.execute(  # a row write, not a step: the gateway's refund never happened
            sa.update(Refund)
            .where(Refund.id == refund["id"])
            .values(state="processing", gateway_refund_id=None)
        )
        db.session.commit()
        with uow.transaction():
            record_gateway_answer(refund["id"], None, "failed", "charge_for_refund_too_old")

    own = _act(
        client, asking, refund["id"], "switch_to_bank_transfer", iban=IBAN, account_holder="Me"
    )
    assert own.status_code == 403 and own.get_json()["code"] == "requester_cannot_pay_out"
    assert _act(client, asking, refund["id"], "retry").status_code == 403
    switched = _act(
        client, first, refund["id"], "switch_to_bank_transfer", iban=IBAN, account_holder="A. H"
    )
    assert switched.status_code == 200 and switched.get_json()["method"] == "bank_transfer"
    assert _upload(client, first, refund["id"], "transfer_proof").status_code == 201
    for alone, code in (
        (first, "destination_needs_second_officer"),
        (asking, "requester_cannot_pay_out"),
    ):
        refused = _act(client, alone, refund["id"], "transfer_done", transfer_reference="BM-1")
        assert refused.status_code == 403 and refused.get_json()["code"] == code
    assert _act(client, asking, refund["id"], "transfer_failed", note="x").status_code == 403
    assert (
        _act(client, headers, refund["id"], "transfer_done", transfer_reference="BM-1").status_code
        == 403
    )
    assert _refund(stripe_app, refund["id"]).state == "processing"
    done = _act(client, third, refund["id"], "transfer_done", transfer_reference="BM-1")
    assert done.status_code == 200 and done.get_json()["state"] == "refunded"
    with stripe_app.app_context():
        audit = db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "refund.destination_changed")
        )
        assert audit.subject_id == refund["reference"]
        assert (audit.before["method"], audit.after["iban"]) == ("card", IBAN)
        assert requester["id"] != audit.actor_id
