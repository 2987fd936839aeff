"""Receipts' handlers of `payment.succeeded`: one receipt and one set of payment notices per
payment, however often the fact is delivered; nothing for a payment that has not succeeded."""

from __future__ import annotations

import sqlalchemy as sa

from app import uow
from app.events import publish
from app.extensions import db
from app.notifications.models import Notification
from receipts.models import Receipt
from tests.payments.helpers import payment_pending
from tests.receipts.test_receipts import _paid


def _documents_and_notices(app, payment_id: int, reference: str) -> tuple[list[str], list[str]]:
    with app.app_context():
        numbers = db.session.scalars(
            sa.select(Receipt.number).where(Receipt.receipt_for_payment == payment_id)
        ).all()
        notices = db.session.scalars(
            sa.select(Notification.channel).where(
                Notification.event == "payment_received", Notification.subject_id == reference
            )
        ).all()
        return list(numbers), sorted(str(c) for c in notices)


def _deliver(app, name: str, **payload) -> None:
    with app.app_context(), uow.transaction():
        publish(name, **payload)
    assert app.extensions["jobs"].drain(30)


def test_a_payment_delivered_again_gets_no_second_receipt_or_notice(
    stripe_app, live, localstripe, client
):
    _, _, application, payment, number = _paid(stripe_app, client, localstripe)
    reference = payment["reference"]
    first = _documents_and_notices(stripe_app, payment["payment_id"], reference)
    assert first == ([number], ["email", "in_app", "sms"])
    for _ in range(2):
        _deliver(
            stripe_app,
            "payment.succeeded",
            payment_id=payment["payment_id"],
            application_id=application["id"],
        )
    assert _documents_and_notices(stripe_app, payment["payment_id"], reference) == first


def test_a_payment_not_succeeded_gets_no_receipt(stripe_app, live, localstripe, client):
    _, headers, application = payment_pending(stripe_app, client)
    payment = client.post(
        f"/api/v1/applications/{application['id']}/payment", headers=headers
    ).get_json()
    _deliver(
        stripe_app,
        "payment.succeeded",
        payment_id=payment["payment_id"],
        application_id=application["id"],
    )
    assert _documents_and_notices(stripe_app, payment["payment_id"], payment["reference"]) == (
        [],
        [],
    )


def test_issuing_a_receipt_reads_the_payment_with_its_records_once(
    stripe_app, live, localstripe, client
):
    """The handler's statements: the payment locked with its application, service, authority
    and payer (one SELECT, no lazy load after), the receipt looked for once, its number taken
    in one statement, then the receipt and the notices written. Delivered again, it reads the
    payment and finds the receipt: nothing more."""
    from payments.models import Payment
    from receipts.subscribers import issue_payment_receipt
    from tests.statements import statements

    _, headers, application = payment_pending(stripe_app, client)
    payment = client.post(
        f"/api/v1/applications/{application['id']}/payment", headers=headers
    ).get_json()
    with stripe_app.app_context():  # as the gateway's event left it, before its handlers ran
        db.session.execute(
            sa.update(Payment)
            .where(Payment.id == payment["payment_id"])
            .values(state="succeeded", card_brand="visa", card_last4="4242")
        )
        db.session.commit()
    with stripe_app.app_context(), statements(stripe_app) as sent, uow.transaction():
        outcome = issue_payment_receipt(payment["payment_id"])
    assert outcome.startswith("receipt "), outcome
    notices = sent.touching("notifications")  # one INSERT, or one a row where not batched
    assert notices and all(sql.startswith("INSERT INTO notifications") for sql in notices)
    rest = [sql for sql in sent if sql not in notices]
    assert [sql.split()[0] for sql in rest] == ["SELECT", "SELECT", "INSERT", "INSERT"], sent.text()
    for table in ("payments", "applications", "services", "authorities", "users"):
        assert f"FROM {table}" in rest[0] or f"JOIN {table}" in rest[0], (table, rest[0])
    assert "receipts" in rest[1] and "number_sequences" in rest[2] and "receipts" in rest[3]
    with stripe_app.app_context(), statements(stripe_app) as again, uow.transaction():
        assert issue_payment_receipt(payment["payment_id"]) == "receipt already issued"
    assert len(again) == 2, again.text()
    number = outcome.removeprefix("receipt ")
    assert _documents_and_notices(stripe_app, payment["payment_id"], payment["reference"]) == (
        [number],
        ["email", "in_app", "sms"],
    )
