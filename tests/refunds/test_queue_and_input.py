"""What finance sees and what the API accepts: the queue, IBANs, amounts, who opens evidence."""

from __future__ import annotations

import datetime as dt

from app.extensions import db
from app.timeutil import utcnow
from payments.models import Payment
from refunds.models import Refund
from tests.factories import staff_headers
from tests.receipts.test_receipts import _paid
from tests.refunds.test_refunds import _act, _upload

KUWAIT_IBAN = "KW81CBKU0000000000001234560101"  # 30 characters; 37 as people write it


def _ask(client, headers, payment, **body):
    return client.post(
        f"/api/v1/payments/{payment['payment_id']}/refunds",
        headers=headers,
        json={"reason": "overcharge", **body},
    )


def test_an_iban_typed_with_spaces_is_stored_compact_and_shown_in_full_to_finance_only(
    stripe_app, live, localstripe, client
):
    _, headers, _, payment, _ = _paid(stripe_app, client, localstripe)
    spaced = " ".join(KUWAIT_IBAN[i : i + 4] for i in range(0, 30, 4)).lower()
    assert len(spaced) > 34
    asked = _ask(
        client,
        headers,
        payment,
        amount="1.000",
        method="bank_transfer",
        iban=spaced,
        account_holder="A. Holder",
    )
    assert asked.status_code == 201, asked.get_json()
    refund = asked.get_json()
    with stripe_app.app_context():
        assert db.session.get(Refund, refund["id"]).iban == KUWAIT_IBAN
    assert refund["iban"] == "•" * 26 + "0101"  # the applicant sees it masked
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    _, other_finance = staff_headers(stripe_app, client, "finance", "ABG")
    seen = client.get(f"/api/v1/refunds/{refund['id']}", headers=finance).get_json()
    assert seen["iban"] == KUWAIT_IBAN  # finance makes the transfer
    assert client.get(f"/api/v1/refunds/{refund['id']}", headers=other_finance).status_code == 404
    bad = _ask(
        client, headers, payment, method="bank_transfer", iban="OM81 0180 0000 0129 9123 457"
    )
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "iban"


def test_a_zero_amount_is_refused_not_read_as_everything(stripe_app, live, localstripe, client):
    _, headers, _, payment, _ = _paid(stripe_app, client, localstripe)
    zero = _ask(client, headers, payment, amount="0.000")
    assert zero.status_code == 422 and zero.get_json()["errors"][0]["field"] == "amount"
    refund = _ask(client, headers, payment, amount="1.000").get_json()
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    approved = _act(client, finance, refund["id"], "approve", amount="0")
    assert approved.status_code == 422
    with stripe_app.app_context():
        row = db.session.get(Refund, refund["id"])
        assert (row.state, row.amount_approved) == ("submitted", None)


def test_past_the_card_window_a_payment_is_refunded_by_bank_transfer(
    stripe_app, live, localstripe, client
):
    _, headers, _, payment, _ = _paid(stripe_app, client, localstripe)
    fresh = _ask(client, headers, payment, amount="1.000")
    assert fresh.status_code == 201 and fresh.get_json()["method"] == "card"  # the default
    with stripe_app.app_context():
        row = db.session.get(Payment, payment["payment_id"])
        row.succeeded_at = utcnow() - dt.timedelta(
            days=stripe_app.config["REFUND_CARD_WINDOW_DAYS"] + 1
        )
        db.session.commit()
    to_card = _ask(
        client, {**headers, "Accept-Language": "en"}, payment, amount="1.000", method="card"
    )
    assert to_card.status_code == 422
    assert to_card.get_json()["errors"][0]["field"] == "method"
    no_account = _ask(client, headers, payment, amount="1.000")  # the default is now a transfer
    assert no_account.status_code == 422 and no_account.get_json()["errors"][0]["field"] == "iban"
    by_transfer = _ask(
        client, headers, payment, amount="1.000", iban=KUWAIT_IBAN, account_holder="A. Holder"
    )
    assert by_transfer.status_code == 201 and by_transfer.get_json()["method"] == "bank_transfer"


def test_the_finance_queue_lists_open_refunds_by_sla_due_date(
    stripe_app, live, localstripe, client
):
    _, headers, _, payment, _ = _paid(stripe_app, client, localstripe)
    ids = [_ask(client, headers, payment, amount="0.500").get_json()["id"] for _ in range(4)]
    due = {ids[0]: 20, ids[1]: 5, ids[2]: 12}
    with stripe_app.app_context():
        for refund_id, day in due.items():
            db.session.get(Refund, refund_id).sla_due_date = dt.date(2031, 3, day)
        db.session.commit()
    assert _act(client, headers, ids[3], "withdraw").get_json()["state"] == "withdrawn"
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    queue = client.get("/api/v1/refunds", headers=finance).get_json()
    assert [r["id"] for r in queue] == [ids[1], ids[2], ids[0]]
    withdrawn = client.get("/api/v1/refunds?state=withdrawn", headers=finance).get_json()
    assert [r["id"] for r in withdrawn] == [ids[3]]
    mine = client.get("/api/v1/refunds", headers=headers).get_json()
    assert sorted(r["id"] for r in mine) == sorted(ids)  # the applicant sees all of theirs


def test_evidence_opens_for_its_applicant_and_finance_of_the_authority_only(
    stripe_app, live, localstripe, client
):
    _, headers, _, payment, _ = _paid(stripe_app, client, localstripe)
    refund = _ask(client, headers, payment).get_json()
    evidence = _upload(client, headers, refund["id"], "bank_statement").get_json()
    url = f"/api/v1/refunds/{refund['id']}/files/{evidence['id']}"
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    assert client.get(url, headers=finance).status_code == 200
    assert client.get(url, headers=headers).status_code == 200
    for role in ("inspector", "department_head", "admin"):
        _, staff = staff_headers(stripe_app, client, role, "NBG")
        answer = client.get(url, headers=staff)
        assert answer.status_code == 403 and answer.get_json()["code"] == "forbidden", role


def test_the_evidence_upload_documents_the_file_refusals_and_its_own(app, client):
    operation = client.get("/api/openapi.json").get_json()["paths"][
        "/api/v1/refunds/{refund_id}/files"
    ]["post"]
    expected = {
        "409": {"evidence_closed", "proof_not_expected"},
        "413": {"file_too_large", "payload_too_large"},
        "415": {"unsupported_file_type", "file_type_mismatch"},
        "422": {"validation_failed"},
    }
    for status, codes in expected.items():
        described = operation["responses"][status]["description"]
        assert all(f"`{code}`" in described for code in codes), status
