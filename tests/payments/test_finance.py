"""Reconciliation with the gateway, expiry of the payments of overdue applications, and what
finance staff see."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from app import uow
from app.events import publish
from app.extensions import db
from app.notifications.models import Notification
from app.timeutil import MUSCAT, utcnow
from licensing.models import Application
from payments.models import Payment, ReconciliationFinding
from payments.reconciliation import reconcile_payments
from tests.factories import staff_headers
from tests.payments.conftest import wait_for
from tests.payments.helpers import payment_pending


def _start(client, headers, application):
    return client.post(
        f"/api/v1/applications/{application['id']}/payment", headers=headers
    ).get_json()


def test_reconciliation_repairs_a_missed_webhook_and_reports_an_unknown_intent(
    stripe_app, localstripe, client
):
    # No webhook reaches us: localstripe delivers to a closed port.
    localstripe.deliver_webhooks_to("http://127.0.0.1:9/closed")
    _, headers, paid_application = payment_pending(stripe_app, client)
    paid = _start(client, headers, paid_application)
    assert localstripe.pay(paid["gateway_intent_id"]).status == "succeeded"
    _, other_headers, ghost_application = payment_pending(stripe_app, client)
    ghost = _start(client, other_headers, ghost_application)
    with stripe_app.app_context():
        db.session.execute(
            sa.update(Payment)
            .where(Payment.id == ghost["payment_id"])
            .values(gateway_intent_id="pi_theGatewayNeverSaw")
        )
        db.session.commit()
        assert reconcile_payments() == 2
        assert reconcile_payments() == 0  # repaired, and the unknown intent not reported twice
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(ReconciliationFinding)
                .where(ReconciliationFinding.payment_id == ghost["payment_id"])
            )
            == 1
        )
        assert db.session.get(Payment, paid["payment_id"]).state == "succeeded"
        assert db.session.get(Payment, ghost["payment_id"]).state == "pending"  # not safe to guess
    assert stripe_app.extensions["jobs"].drain(15)
    assert (
        client.get(f"/api/v1/applications/{paid_application['id']}", headers=headers).get_json()[
            "state"
        ]
        == "in_review"
    )

    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    findings = client.get("/api/v1/payments/reconciliation", headers=finance).get_json()
    kinds = {(f["payment"], f["kind"], f["repaired"]) for f in findings}
    assert (paid["reference"], "gateway_succeeded", True) in kinds
    assert (ghost["reference"], "missing_at_gateway", False) in kinds
    _, abg_finance = staff_headers(stripe_app, client, "finance", "ABG")
    assert client.get("/api/v1/payments/reconciliation", headers=abg_finance).get_json() == []


def _overdue(app, application_id: int) -> None:
    """What licensing's daily sweep states of an application past its payment window; the
    deliveries run."""
    with app.app_context(), uow.transaction():
        publish("application.payment_overdue", application_id=application_id)
    assert app.extensions["jobs"].drain(15)


def test_unpaid_applications_expire_with_notice(stripe_app, localstripe, client):
    user, headers, application = payment_pending(stripe_app, client)
    payment = _start(client, headers, application)
    _overdue(stripe_app, application["id"])
    with stripe_app.app_context():
        assert db.session.get(Payment, payment["payment_id"]).state == "expired"
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(Notification)
                .where(Notification.user_id == user["id"], Notification.event == "payment_expired")
            )
            == 3
        )
    assert (
        client.get(f"/api/v1/applications/{application['id']}", headers=headers).get_json()["state"]
        == "cancelled"
    )
    intent = localstripe.client().v1.payment_intents.retrieve(payment["gateway_intent_id"])
    assert intent.status == "canceled"


def test_an_unpaid_application_expires_when_the_gateway_never_had_its_intent(
    stripe_app, localstripe, client
):
    _, headers, application = payment_pending(stripe_app, client)
    payment = _start(client, headers, application)
    with stripe_app.app_context():
        db.session.execute(
            sa.update(Payment)
            .where(Payment.id == payment["payment_id"])
            .values(gateway_intent_id="pi_theGatewayNeverSaw")
        )
        db.session.commit()
    _overdue(stripe_app, application["id"])
    with stripe_app.app_context():
        assert db.session.get(Payment, payment["payment_id"]).state == "expired"
        assert db.session.get(Application, application["id"]).state == "cancelled"


def test_an_overdue_application_paid_at_the_gateway_is_confirmed_not_expired(
    stripe_app, localstripe, client
):
    """The webhook was missed and the payer paid: the gateway refuses the cancellation, and its
    word (succeeded) makes the payment a success; the window is not closed."""
    localstripe.deliver_webhooks_to("http://127.0.0.1:9/closed")
    _, headers, application = payment_pending(stripe_app, client)
    payment = _start(client, headers, application)
    assert localstripe.pay(payment["gateway_intent_id"]).status == "succeeded"
    _overdue(stripe_app, application["id"])
    with stripe_app.app_context():
        assert db.session.get(Payment, payment["payment_id"]).state == "succeeded"
        assert db.session.get(Application, application["id"]).state == "in_review"


def test_finance_lists_searches_and_reports_collections(stripe_app, live, localstripe, client):
    payer, headers, application = payment_pending(stripe_app, client)
    paid = _start(client, headers, application)
    localstripe.pay(paid["gateway_intent_id"])
    _, _, unpaid_application = payment_pending(stripe_app, client)
    wait_for(
        lambda: (
            client.get(f"/api/v1/applications/{application['id']}", headers=headers).get_json()[
                "state"
            ]
            == "in_review"
        )
    )
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    listed = client.get("/api/v1/payments", headers=finance).get_json()
    assert [p["reference"] for p in listed] == [paid["reference"]]
    assert listed[0]["state"] == "succeeded" and listed[0]["amount"] == application["fee"]
    assert client.get("/api/v1/payments?state=pending", headers=finance).get_json() == []
    assert (
        len(client.get(f"/api/v1/payments?payer={payer['civil_id']}", headers=finance).get_json())
        == 1
    )
    assert (
        len(
            client.get(
                f"/api/v1/payments?application={application['reference']}", headers=finance
            ).get_json()
        )
        == 1
    )
    assert (
        client.get("/api/v1/payments?service=NBG-HEALTHCARD-REGISTER", headers=finance).get_json()
        == []
    )

    detail = client.get(f"/api/v1/payments/{paid['payment_id']}", headers=finance).get_json()
    assert (
        detail["gateway_intent_id"] == paid["gateway_intent_id"] and detail["card_last4"] == "4242"
    )
    assert [e["type"] for e in detail["events"]] == ["payment_intent.succeeded"]
    _, abg_finance = staff_headers(stripe_app, client, "finance", "ABG")
    assert (
        client.get(f"/api/v1/payments/{paid['payment_id']}", headers=abg_finance).status_code == 404
    )

    today = utcnow().astimezone(MUSCAT).date()
    report = client.get(
        f"/api/v1/payments/reports/daily.csv?from={today}&to={today}", headers=finance
    )
    assert report.status_code == 200 and report.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(report.get_data(as_text=True))))
    assert [(r["service_code"], r["payments"], r["total_omr"]) for r in rows] == [
        ("NBG-LEASE-REGISTER", "1", application["fee"]),
        ("ALL", "1", application["fee"]),
    ]
    assert unpaid_application["reference"] not in report.get_data(as_text=True)
