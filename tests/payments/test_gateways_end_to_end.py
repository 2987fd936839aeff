"""One core, two gateways, on PostgreSQL: every test here runs on Stripe (localstripe) and on
Thawani (our test server), through the same API, webhook route, jobs and reconciliation.

pay → duplicate and shuffled webhooks → one succeeded payment, one receipt → partial refund (four
eyes) → one gateway refund → credit note; and each guarantee of the Stripe path on both."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import sqlalchemy as sa

from app import uow
from app.events import publish
from app.extensions import db
from licensing.models import Application
from payments.models import Payment, PaymentEvent, ReconciliationFinding
from payments.reconciliation import reconcile_payments
from receipts.models import Receipt
from refunds.models import Refund
from refunds.tasks import reconcile_refunds
from tests.conftest import build_app
from tests.factories import login, make_staff, staff_headers
from tests.payments.conftest import LiveServer, configure, wait_for
from tests.payments.gateway_drivers import CLOSED, Capture, paying_through
from tests.payments.helpers import payment_pending
from tests.payments.thawani.conftest import thawani_running  # noqa: F401 - the one server
from tests.thawani_server import WEBHOOK_SECRET


@pytest.fixture(scope="module")
def e2e_app(postgres_server, localstripe, thawani_running, tmp_path_factory):  # noqa: F811
    app = build_app(
        postgres_server.create_database("baladiya_gateways_end_to_end"),
        PAYMENT_GATEWAYS="stripe,thawani",
        THAWANI_API_BASE=thawani_running.api_base,
        THAWANI_CHECKOUT_BASE=thawani_running.url,
        THAWANI_WEBHOOK_SECRET=WEBHOOK_SECRET,
        THAWANI_TIMEOUT=2,
        DOCUMENT_STORAGE_PATH=str(tmp_path_factory.mktemp("documents")),
    )
    configure(app, localstripe)
    server = LiveServer(app)
    app.config["LIVE_URL"] = server.url
    yield app
    server.stop()


@pytest.fixture(params=["stripe", "thawani"])
def gw(request, e2e_app, localstripe, thawani_running):  # noqa: F811
    with paying_through(request.param, e2e_app, localstripe, thawani_running) as gateway:
        yield gateway


@pytest.fixture
def thawani_gw(e2e_app, localstripe, thawani_running):  # noqa: F811
    """Thawani only: a twin of a Stripe test that localstripe cannot play the same way."""
    with paying_through("thawani", e2e_app, localstripe, thawani_running) as gateway:
        yield gateway


@pytest.fixture
def client(e2e_app):
    return e2e_app.test_client()


# What each gateway's answer to "pay" says, written out here.
EXPECTED_START = {
    "stripe": {"gateway": "stripe", "next_action": "confirm", "redirect_url": None},
    "thawani": {"gateway": "thawani", "next_action": "redirect", "client_secret": None},
}
CHARGE_PREFIX = {"stripe": "ch_", "thawani": "pay_"}
REFUND_PREFIX = {"stripe": "re_", "thawani": "ref_"}
CANCELED_AT_GATEWAY = {"stripe": "canceled", "thawani": "cancelled"}


def _check_start(gw, answer) -> None:
    body = answer.get_json()
    assert answer.status_code == 201, body
    assert {k: body[k] for k in EXPECTED_START[gw.name]} == EXPECTED_START[gw.name]
    assert (body["amount"], body["currency"], body["state"]) == ("3.000", "OMR", "pending")
    if gw.name == "stripe":
        assert body["client_secret"].startswith(body["gateway_intent_id"])
    else:
        session = gw.driver.server.sessions[body["gateway_intent_id"]]
        assert body["redirect_url"] == (
            f"{gw.driver.server.url}/pay/{body['gateway_intent_id']}?key=thawani_pk_test_baladiya"
        )
        assert (session["client_reference_id"], session["total_amount"]) == (
            body["reference"],
            3000,
        )
        assert session["success_url"] == f"http://127.0.0.1:5000/payments/{body['reference']}/done"
        assert session["cancel_url"] == (
            f"http://127.0.0.1:5000/payments/{body['reference']}/cancelled"
        )


def _rows(gw, model, *where):
    with gw.app.app_context():
        return db.session.scalars(sa.select(model).where(*where)).all()


def _refund(gw, refund_id: int) -> Refund:
    with gw.app.app_context():
        return db.session.get(Refund, refund_id, populate_existing=True)


def _act(client, headers, refund_id, action, **body):
    return client.post(f"/api/v1/refunds/{refund_id}/actions/{action}", json=body, headers=headers)


def _paid(gw, client):
    """An application paid through the gateway, its webhooks delivered to us once each."""
    user, headers, application = payment_pending(gw.app, client)
    answer = gw.start(client, headers, application)
    _check_start(gw, answer)
    gw.driver.pay(answer.get_json())
    payment_id = answer.get_json()["payment_id"]
    wait_for(
        lambda: [p.state for p in _rows(gw, Payment, Payment.id == payment_id)] == ["succeeded"]
    )
    gw.drain()
    return user, headers, application, answer.get_json()


def test_pay_duplicate_webhooks_one_receipt_partial_refund_credit_note(gw, client):
    capture = Capture()
    gw.driver.webhooks_to(capture.url)
    try:
        _, headers, application = payment_pending(gw.app, client)
        started = gw.start(client, headers, application)
        _check_start(gw, started)
        answer = started.get_json()
        gw.driver.pay(answer)
        capture.wait_for(gw.driver, gw.driver.success_event)
        statuses = capture.replay(gw.webhook, copies=4, seed=12)
    finally:
        capture.stop()
    assert set(statuses) == {200}
    gw.drain()
    payments = _rows(gw, Payment, Payment.application_id == application["id"])
    assert [(p.state, p.gateway, p.card_last4) for p in payments] == [
        ("succeeded", gw.name, "4242")
    ]
    assert payments[0].gateway_charge_id.startswith(CHARGE_PREFIX[gw.name])
    # Each of the gateway's events is recorded once, however often it came.
    assert len(_rows(gw, PaymentEvent)) == len(capture.received)
    [receipt] = _rows(gw, Receipt, Receipt.payment_id == answer["payment_id"])
    assert (receipt.kind, receipt.amount_baisa) == ("receipt", 3000)
    state = client.get(f"/api/v1/applications/{application['id']}", headers=headers)
    assert state.get_json()["state"] == "in_review"

    gw.app.config["REFUND_SECOND_APPROVAL_BAISA"] = 500  # 1.000 needs two approvers
    asked = client.post(
        f"/api/v1/payments/{answer['payment_id']}/refunds",
        headers=headers,
        json={"amount": "1.000", "reason": "duplicate_payment", "reason_text": "Paid twice"},
    )
    assert asked.status_code == 201, asked.get_json()
    refund = asked.get_json()
    assert (refund["state"], refund["method"]) == ("submitted", "card")
    _, first = staff_headers(gw.app, client, "finance", "NBG")
    _, second = staff_headers(gw.app, client, "finance", "NBG")
    once = _act(client, first, refund["id"], "approve")
    assert once.status_code == 200 and once.get_json()["awaiting_second_approval"] is True
    again = _act(client, first, refund["id"], "approve")
    assert again.status_code == 403 and again.get_json()["code"] == "second_approver_required"
    gw.drain()
    assert gw.driver.refunds(answer) == []  # no money moved on one approval
    assert _act(client, second, refund["id"], "approve").get_json()["state"] == "approved"
    wait_for(lambda: _refund(gw, refund["id"]).state == "refunded")
    gw.drain()
    done = _refund(gw, refund["id"])
    assert done.gateway_attempts == 1
    assert done.gateway_refund_id.startswith(REFUND_PREFIX[gw.name])
    assert gw.driver.refunds(answer) == [1000]

    [note] = _rows(gw, Receipt, Receipt.refund_id == refund["id"])
    with gw.app.app_context():
        note = db.session.get(Receipt, note.id)
        assert (note.kind, note.amount_baisa) == ("credit_note", -1000)
        assert note.refers_to.number == receipt.number
    too_much = client.post(
        f"/api/v1/payments/{answer['payment_id']}/refunds",
        headers=headers,
        json={"amount": "2.500", "reason": "overcharge"},
    )
    assert too_much.status_code == 422 and too_much.get_json()["refundable"] == "2.000"
    assert gw.driver.refunds(answer) == [1000]


def test_fifty_concurrent_deliveries_of_the_success_confirm_once(gw, client):
    capture = Capture()
    gw.driver.webhooks_to(capture.url)
    try:
        _, headers, application = payment_pending(gw.app, client)
        user_payment = gw.start(client, headers, application).get_json()
        gw.driver.pay(user_payment)
        capture.wait_for(gw.driver, gw.driver.success_event)
        capture.received[:] = [
            d for d in capture.received if gw.driver.kind(d[0]) == gw.driver.success_event
        ]
        statuses = capture.replay(gw.webhook, copies=50, seed=3)
    finally:
        capture.stop()
    assert statuses == [200] * 50
    gw.drain()
    assert len(_rows(gw, PaymentEvent)) == 1
    assert len(_rows(gw, Receipt, Receipt.payment_id == user_payment["payment_id"])) == 1
    with gw.app.app_context():
        assert db.session.get(Application, application["id"]).state == "in_review"


def test_an_outage_at_start_is_503_and_the_retry_makes_one_gateway_object(gw, client):
    _, headers, application = payment_pending(gw.app, client)
    gw.driver.down()
    try:
        down = gw.start(client, headers, application)
        assert down.status_code == 503 and down.get_json()["code"] == "gateway_unavailable"
        assert down.headers["Retry-After"] == "30"
        with gw.app.app_context():
            assert db.session.execute(
                sa.select(Payment.state, Payment.gateway, Payment.gateway_intent_id)
            ).all() == [("pending", gw.name, None)]
    finally:
        gw.driver.up()
    first = gw.start(client, headers, application)
    _check_start(gw, first)
    again = gw.start(client, headers, application)
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert gw.driver.made_for(first.get_json()["reference"]) == 1
    assert len(_rows(gw, Payment)) == 1


def test_thawani_made_the_session_but_its_answer_was_lost_the_retry_finds_it(thawani_gw, client):
    """Thawani has no idempotency keys: the session made before the answer was lost is found by
    our reference (find_payment), and the payer is sent to its page; no second is made. (Stripe's
    twin, test_payments.py, shows the same idempotency key sent again.)"""
    gw = thawani_gw
    server = gw.driver.server
    _, headers, application = payment_pending(gw.app, client)
    server.lose_answer("POST", "/checkout/session")
    lost = gw.start(client, headers, application)
    assert lost.status_code == 503 and lost.get_json()["code"] == "gateway_unavailable"
    [made] = list(server.sessions.values())
    retried = gw.start(client, headers, application)
    _check_start(gw, retried)
    assert retried.get_json()["gateway_intent_id"] == made["session_id"]
    assert gw.driver.made_for(made["client_reference_id"]) == 1
    assert [m for m, p in server.seen if p == "/checkout/session"] == ["POST"]
    gw.driver.pay(retried.get_json())
    wait_for(lambda: [p.state for p in _rows(gw, Payment)] == ["succeeded"])


def test_reconciliation_repairs_a_missed_webhook(gw, client):
    gw.driver.webhooks_to(CLOSED)
    _, headers, application = payment_pending(gw.app, client)
    answer = gw.start(client, headers, application).get_json()
    gw.driver.pay(answer)
    with gw.app.app_context():
        assert reconcile_payments() == 1
    gw.drain()
    [payment] = _rows(gw, Payment)
    assert payment.state == "succeeded"
    assert payment.gateway_charge_id.startswith(CHARGE_PREFIX[gw.name])
    [finding] = _rows(gw, ReconciliationFinding)
    assert (finding.kind, finding.local_state, finding.repaired) == (
        "gateway_succeeded",
        "pending",
        True,
    )
    assert len(_rows(gw, Receipt, Receipt.payment_id == answer["payment_id"])) == 1
    with gw.app.app_context():
        assert db.session.get(Application, application["id"]).state == "in_review"
        assert reconcile_payments() == 0  # nothing left to repair


def _overdue(gw, application_id: int) -> None:
    with gw.app.app_context(), uow.transaction():
        publish("application.payment_overdue", application_id=application_id)
    gw.drain()


def test_an_overdue_unpaid_payment_is_cancelled_at_the_gateway_and_expired(gw, client):
    _, headers, application = payment_pending(gw.app, client)
    answer = gw.start(client, headers, application).get_json()
    _overdue(gw, application["id"])
    assert [p.state for p in _rows(gw, Payment)] == ["expired"]
    assert gw.driver.status_at_gateway(answer) == CANCELED_AT_GATEWAY[gw.name]
    with gw.app.app_context():
        assert db.session.get(Application, application["id"]).state == "cancelled"


def test_an_overdue_payment_paid_at_the_gateway_is_confirmed_not_expired(gw, client):
    gw.driver.webhooks_to(CLOSED)
    _, headers, application = payment_pending(gw.app, client)
    answer = gw.start(client, headers, application).get_json()
    gw.driver.pay(answer)
    _overdue(gw, application["id"])
    assert [p.state for p in _rows(gw, Payment)] == ["succeeded"]
    with gw.app.app_context():
        assert db.session.get(Application, application["id"]).state == "in_review"


def test_concurrent_approvals_refund_at_most_what_was_captured(gw, client):
    user, headers, _, answer = _paid(gw, client)
    url = f"{gw.app.config['LIVE_URL']}/api/v1/payments/{answer['payment_id']}/refunds"
    # Eight requests at once, each for 2.000 of the 3.000 paid: each alone is refundable.
    with ThreadPoolExecutor(max_workers=8) as pool:
        asked = list(
            pool.map(
                lambda _: requests.post(
                    url,
                    json={"amount": "2.000", "reason": "overcharge"},
                    headers=headers,
                    timeout=30,
                ),
                range(8),
            )
        )
    assert [r.status_code for r in asked] == [201] * 8
    finance = make_staff(gw.app, "finance", "NBG", department="finance")
    token = {"Authorization": "Bearer " + login(client, finance["email"])["access_token"]}
    live = gw.app.config["LIVE_URL"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        approvals = list(
            pool.map(
                lambda r: (
                    requests.post(
                        f"{live}/api/v1/refunds/{r.json()['id']}/actions/approve",
                        json={},
                        headers=token,
                        timeout=30,
                    ).status_code
                ),
                asked,
            )
        )
    assert sorted(approvals) == [200] + [409] * 7
    gw.drain()
    assert gw.driver.refunds(answer) == [2000]
    refunded = [r for r in _rows(gw, Refund) if r.state == "refunded"]
    assert [(r.amount_approved, r.gateway_attempts) for r in refunded] == [(2000, 1)]


@pytest.mark.parametrize("signature", ["wrong secret", "missing"])
def test_a_badly_signed_webhook_is_400_and_nothing_is_recorded(gw, client, signature):
    _, headers, application = payment_pending(gw.app, client)
    answer = gw.start(client, headers, application).get_json()
    gw.drain()
    recorded = len(_rows(gw, PaymentEvent))  # Thawani's own checkout.created, if it came
    body, signed_headers = gw.driver.forged(answer, signature)
    response = client.post(f"/api/v1/payments/{gw.name}/webhook", data=body, headers=signed_headers)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert (
        response.get_json()["code"]
        == {
            "wrong secret": "signature_invalid",
            "missing": "signature_missing",
        }[signature]
    )
    gw.drain()
    assert len(_rows(gw, PaymentEvent)) == recorded
    assert [p.state for p in _rows(gw, Payment)] == ["pending"]


@pytest.mark.parametrize("told_by", ["webhook", "reconciliation"])
def test_a_thawani_refund_settled_later_is_recorded_by_webhook_or_reconciliation(
    thawani_gw, client, told_by
):
    """Stripe's twins: tests/refunds/test_gateway_rounds.py (localstripe settles at once)."""
    gw = thawani_gw
    server = gw.driver.server
    _, headers, _, answer = _paid(gw, client)
    server.refund_outcome = "pending"
    refund = client.post(
        f"/api/v1/payments/{answer['payment_id']}/refunds",
        headers=headers,
        json={"amount": "0.500", "reason": "overcharge"},
    ).get_json()
    _, finance = staff_headers(gw.app, client, "finance", "NBG")
    assert _act(client, finance, refund["id"], "approve").get_json()["state"] == "approved"
    wait_for(lambda: _refund(gw, refund["id"]).gateway_refund_id is not None)
    gw.drain()
    row = _refund(gw, refund["id"])
    assert row.state == "processing"
    server.hold_webhooks = told_by == "reconciliation"
    server.settle_refund(row.gateway_refund_id)
    if told_by == "reconciliation":
        with gw.app.app_context():
            assert reconcile_refunds() == 1
    wait_for(lambda: _refund(gw, refund["id"]).state == "refunded")
    assert gw.driver.refunds(answer) == [500]
