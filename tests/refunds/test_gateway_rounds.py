"""A card refund is settled by the gateway's word only: a refund in flight is never failed by hand,
a failed one is sent again under a new key, and what Stripe says late about an earlier round is
flagged for finance, never applied."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import sqlalchemy as sa

from app.extensions import db
from refunds.models import Refund, RefundEvent
from refunds.tasks import send_refund
from tests.factories import staff_headers
from tests.payments.helpers import post_event
from tests.payments.proxy import RecordingProxy
from tests.refunds.test_refunds import (
    IBAN,
    _act,
    _approved_card_refund_stuck_in_processing,
    _refund,
)


def _refund_event(gateway_refund_id, status, reference=None, key=None):
    metadata = {"refund": reference, "idempotency_key": key} if reference else {}
    return {
        "id": f"evt_{gateway_refund_id}_{status}_{time.monotonic_ns()}",
        "object": "event",
        "type": "refund.updated",
        "created": int(time.time()),
        "data": {
            "object": {
                "id": gateway_refund_id,
                "object": "refund",
                "status": status,
                "amount": 1000,
                "metadata": metadata,
            }
        },
    }


def _failed_at_the_gateway(app, client, localstripe, gateway_refund_id):
    """A card refund whose Stripe refund (`gateway_refund_id`) Stripe reported failed."""
    user, payment, refund = _approved_card_refund_stuck_in_processing(app, client, localstripe)
    with app.app_context():
        row = db.session.get(Refund, refund["id"])
        row.gateway_refund_id, row.gateway_key, row.gateway_attempts = (
            gateway_refund_id,
            row.reference,
            1,
        )
        db.session.commit()
    assert post_event(client, _refund_event(gateway_refund_id, "failed")).status_code == 200
    assert app.extensions["jobs"].drain(15)
    assert _refund(app, refund["id"]).state == "failed"
    return payment, refund


@pytest.fixture
def stripe_failed(stripe_app, localstripe):
    """localstripe's refunds always succeed: a proxy answers for the ids Stripe reports failed."""
    proxy = RecordingProxy(localstripe.url)
    stripe_app.config["STRIPE_API_BASE"] = proxy.url

    class Failed:
        def add(self, refund_id: str) -> None:
            proxy.answer(
                "GET",
                f"/v1/refunds/{refund_id}",
                200,
                {
                    "id": refund_id,
                    "object": "refund",
                    "status": "failed",
                    "amount": 1000,
                    "failure_reason": "expired_or_canceled_card",
                },
            )

    yield Failed()
    stripe_app.config["STRIPE_API_BASE"] = localstripe.url
    proxy.stop()


def test_a_card_refund_in_flight_cannot_be_failed_by_hand(stripe_app, live, localstripe, client):
    _, _, refund = _approved_card_refund_stuck_in_processing(stripe_app, client, localstripe)
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    refused = _act(client, finance, refund["id"], "transfer_failed", note="Bank returned it")
    assert refused.status_code == 409 and refused.get_json()["code"] == "wrong_refund_method"
    assert _refund(stripe_app, refund["id"]).state == "processing"


def test_retry_sends_a_new_gateway_refund_under_a_new_key_and_a_late_success_is_flagged(
    stripe_app, live, localstripe, client, stripe_failed
):
    stripe_failed.add("re_round1failed")
    payment, refund = _failed_at_the_gateway(stripe_app, client, localstripe, "re_round1failed")
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    retried = _act(client, finance, refund["id"], "retry")
    assert retried.status_code == 200, retried.get_json()
    assert stripe_app.extensions["jobs"].drain(30)
    row = _refund(stripe_app, refund["id"])
    assert (row.state, row.gateway_round, row.gateway_key) == (
        "refunded",
        2,
        f"{refund['reference']}-2",
    )
    assert row.gateway_refund_id.startswith("re_") and row.gateway_refund_id != "re_round1failed"
    sent = localstripe.client().v1.refunds.retrieve(row.gateway_refund_id)
    assert sent.metadata["idempotency_key"] == f"{refund['reference']}-2"

    # Stripe, late, says the first round went through after all: money may have gone twice.
    late = _refund_event("re_round1failed", "succeeded", refund["reference"], refund["reference"])
    assert post_event(client, late).status_code == 200
    assert stripe_app.extensions["jobs"].drain(15)
    row = _refund(stripe_app, refund["id"])
    assert row.state == "refunded" and "re_round1failed" in row.attention
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    queue = client.get("/api/v1/refunds", headers=finance).get_json()
    assert [r["id"] for r in queue] == [refund["id"]]  # closed, but it awaits finance
    resolved = _act(client, finance, refund["id"], "resolve_attention", note="Stripe: one refund")
    assert resolved.status_code == 200 and resolved.get_json()["attention"] is None
    assert client.get("/api/v1/refunds", headers=finance).get_json() == []


def test_a_late_success_for_the_old_card_refund_cannot_complete_a_bank_transfer(
    stripe_app, live, localstripe, client, stripe_failed
):
    stripe_failed.add("re_switchedaway")
    _, refund = _failed_at_the_gateway(stripe_app, client, localstripe, "re_switchedaway")
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    switched = _act(
        client, finance, refund["id"], "switch_to_bank_transfer", iban=IBAN, account_holder="A. H"
    )
    assert switched.status_code == 200 and switched.get_json()["method"] == "bank_transfer"
    assert _refund(stripe_app, refund["id"]).gateway_refund_id is None
    late = _refund_event("re_switchedaway", "succeeded", refund["reference"], refund["reference"])
    assert post_event(client, late).status_code == 200
    assert stripe_app.extensions["jobs"].drain(15)
    row = _refund(stripe_app, refund["id"])
    assert (row.state, row.method) == ("processing", "bank_transfer")
    assert "re_switchedaway" in row.attention
    with stripe_app.app_context():
        actions = db.session.scalars(
            sa.select(RefundEvent.action).where(RefundEvent.refund_id == refund["id"])
        ).all()
    assert "gateway_discrepancy" in actions


def test_no_switch_to_bank_transfer_while_stripe_has_not_failed_the_refund(
    stripe_app, live, localstripe, client
):
    _, _, refund = _approved_card_refund_stuck_in_processing(stripe_app, client, localstripe)
    with stripe_app.app_context():
        send_refund(refund["id"])  # localstripe refunds it
        gateway_refund_id = db.session.get(Refund, refund["id"]).gateway_refund_id
        db.session.execute(  # as a stale "failed" would have left it (a row write, not a step)
            sa.update(Refund).where(Refund.id == refund["id"]).values(state="failed")
        )
        db.session.commit()
    _, finance = staff_headers(stripe_app, client, "finance", "NBG")
    for action, body in (
        ("switch_to_bank_transfer", {"iban": IBAN, "account_holder": "A. H"}),
        ("retry", {}),
    ):
        refused = _act(client, finance, refund["id"], action, **body)
        assert refused.status_code == 409, refused.get_json()
        assert refused.get_json()["gateway_status"] == "succeeded"
    row = _refund(stripe_app, refund["id"])
    assert (row.state, row.method, row.gateway_refund_id) == ("failed", "card", gateway_refund_id)
    assert gateway_refund_id in row.attention  # Stripe's success is there for finance to see


@pytest.mark.parametrize(
    "status,error,state",
    [
        (409, {"type": "idempotency_error", "message": "in progress"}, "processing"),
        (429, {"type": "invalid_request_error", "code": "lock_timeout"}, "processing"),
        (503, {"type": "api_error", "message": "unavailable"}, "processing"),
        (401, {"type": "invalid_request_error", "message": "bad key"}, "processing"),
        (400, {"type": "invalid_request_error", "code": "charge_already_refunded"}, "failed"),
    ],
)
def test_only_a_definite_refusal_fails_a_card_refund(
    stripe_app, live, localstripe, client, status, error, state
):
    _, _, refund = _approved_card_refund_stuck_in_processing(stripe_app, client, localstripe)
    fake = RecordingProxy(localstripe.url)  # Stripe's answer, which localstripe never gives
    fake.answer("POST", None, status, {"error": error})
    saved = stripe_app.config["STRIPE_API_BASE"]
    stripe_app.config["STRIPE_API_BASE"] = fake.url
    try:
        with stripe_app.app_context():
            send_refund(refund["id"])
    finally:
        stripe_app.config["STRIPE_API_BASE"] = saved
        fake.stop()
    row = _refund(stripe_app, refund["id"])
    assert (row.state, row.gateway_attempts, len(fake.seen)) == (state, 1, 1)
    assert row.last_sent_at is not None and row.gateway_key == refund["reference"]


def test_a_time_out_leaves_a_card_refund_processing(stripe_app, live, localstripe, client):
    from tests.servers import free_port

    _, _, refund = _approved_card_refund_stuck_in_processing(stripe_app, client, localstripe)
    saved = stripe_app.config["STRIPE_API_BASE"]
    stripe_app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nobody listens
    try:
        with stripe_app.app_context():
            assert send_refund(refund["id"]) == "gateway unavailable"
    finally:
        stripe_app.config["STRIPE_API_BASE"] = saved
    assert _refund(stripe_app, refund["id"]).state == "processing"


def test_reconciliation_does_not_race_the_send_job_and_finds_a_refund_stripe_forgot_the_key_of(
    stripe_app, live, localstripe, client
):
    from app.timeutil import utcnow
    from refunds.tasks import reconcile_refunds

    _, payment, refund = _approved_card_refund_stuck_in_processing(stripe_app, client, localstripe)
    made = localstripe.client().v1.refunds.create(  # our call went through; its answer was lost
        params={
            "payment_intent": payment["gateway_intent_id"],
            "amount": 1000,
            "metadata": {"refund": refund["reference"], "idempotency_key": refund["reference"]},
        }
    )
    with stripe_app.app_context():
        row = db.session.get(Refund, refund["id"])
        row.gateway_key, row.gateway_attempts = refund["reference"], 1
        row.key_first_sent_at = row.last_sent_at = utcnow() - dt.timedelta(minutes=2)
        db.session.commit()
        assert reconcile_refunds() == 0  # sent two minutes ago: not again yet
        row = db.session.get(Refund, refund["id"])
        row.key_first_sent_at = row.last_sent_at = utcnow() - dt.timedelta(hours=25)
        db.session.commit()
        assert reconcile_refunds() == 1
        row = db.session.get(Refund, refund["id"], populate_existing=True)
        assert (row.state, row.gateway_refund_id, row.gateway_attempts) == (
            "refunded",
            made.id,
            2,
        )
    intent = localstripe.client().v1.payment_intents.retrieve(
        payment["gateway_intent_id"], params={"expand": ["latest_charge"]}
    )
    assert intent.latest_charge.amount_refunded == 1000  # localstripe would have taken it twice
