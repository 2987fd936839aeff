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
