"""Thawani webhooks: the test server signs as Thawani does (its own HMAC code), the plugin
verifies on the raw bytes and parses each event kind into our words."""

from __future__ import annotations

import json
import time

import pytest

from payments.gateways.base import WebhookRejected
from tests.payments.thawani.helpers import start


def delivery(thawani, event_type: str, data: dict, **signing) -> tuple[bytes, dict]:
    body = json.dumps({"event_type": event_type, "data": data}).encode()
    return body, thawani.signed(body, **signing)


SESSION = {
    "session_id": "checkout_77",
    "client_reference_id": "pay-LIC-40-1",
    "total_amount": 3_500,
    "payment_status": "paid",
    "invoice": "12345",
    "metadata": {"payment": "pay-LIC-40-1"},
    "expire_at": "2099-01-01T00:00:00.000Z",
}


def test_a_valid_signature_is_accepted(gateway, thawani):
    body, headers = delivery(thawani, "checkout.completed", SESSION)
    event = gateway.parse_webhook(body, headers)
    assert event.payload == {"event_type": "checkout.completed", "data": SESSION}


def test_headers_are_read_whatever_their_case(gateway, thawani):
    body, headers = delivery(thawani, "checkout.completed", SESSION)
    shouted = {key.upper(): value for key, value in headers.items()}
    assert gateway.parse_webhook(body, shouted).kind == "payment"


@pytest.mark.parametrize(
    ("tamper", "code"),
    [
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "thawani-signature"}),
            "signature_missing",
        ),
        (
            lambda b, h: (b, {k: v for k, v in h.items() if k != "thawani-timestamp"}),
            "signature_missing",
        ),
        (lambda b, h: (b.replace(b"3500", b"3501"), h), "signature_invalid"),
        (lambda b, h: (b, {**h, "thawani-signature": "0" * 64}), "signature_invalid"),
        (
            lambda b, h: (b, {**h, "thawani-timestamp": str(int(h["thawani-timestamp"]) + 1)}),
            "signature_invalid",
        ),
        (lambda b, h: (b, {**h, "thawani-timestamp": "yesterday"}), "signature_invalid"),
    ],
    ids=[
        "no-signature",
        "no-timestamp",
        "body-changed",
        "wrong-signature",
        "timestamp-changed",
        "timestamp-not-seconds",
    ],
)
def test_a_bad_or_missing_signature_is_rejected(gateway, thawani, tamper, code):
    body, headers = tamper(*delivery(thawani, "checkout.completed", SESSION))
    with pytest.raises(WebhookRejected) as rejected:
        gateway.parse_webhook(body, headers)
    assert rejected.value.code == code


def test_a_signature_with_another_secret_is_rejected(gateway, thawani):
    body, headers = delivery(thawani, "checkout.completed", SESSION, secret="someone_else")
    with pytest.raises(WebhookRejected) as rejected:
        gateway.parse_webhook(body, headers)
    assert rejected.value.code == "signature_invalid"


@pytest.mark.parametrize(
    ("age", "accepted"), [(-299, True), (299, True), (301, False), (-301, False), (3600, False)]
)
def test_the_timestamp_tolerance_is_five_minutes(gateway, thawani, age, accepted):
    stamp = str(int(time.time()) - age)
    body, headers = delivery(thawani, "checkout.completed", SESSION, timestamp=stamp)
    if accepted:
        assert gateway.parse_webhook(body, headers).kind == "payment"
    else:
        with pytest.raises(WebhookRejected) as rejected:
            gateway.parse_webhook(body, headers)
        assert rejected.value.code == "signature_invalid"


@pytest.mark.parametrize(
    "body", [b"not json", b"[1, 2]", b'{"data": {}}', b'{"event_type": "checkout.completed"}']
)
def test_a_signed_but_unparsable_body_is_rejected(gateway, thawani, body):
    with pytest.raises(WebhookRejected) as rejected:
        gateway.parse_webhook(body, thawani.signed(body))
    assert rejected.value.code == "payload_invalid"


def test_checkout_completed_is_a_succeeded_payment(gateway, thawani):
    event = gateway.parse_webhook(*delivery(thawani, "checkout.completed", SESSION))
    assert (event.kind, event.gateway_ref) == ("payment", "checkout_77")
    assert (event.payment.status, event.payment.amount_baisa) == ("succeeded", 3_500)
    assert event.payment.metadata == {"payment": "pay-LIC-40-1"}
    assert event.event_id.startswith("thawani:")


def test_checkout_created_is_a_pending_payment(gateway, thawani):
    unpaid = {**SESSION, "payment_status": "unpaid"}
    event = gateway.parse_webhook(*delivery(thawani, "checkout.created", unpaid))
    assert (event.kind, event.payment.status) == ("payment", "pending")


def test_payment_succeeded_carries_the_payment_id_and_card(gateway, thawani):
    attempt = {
        "payment_id": "pay_9",
        "session_id": "checkout_77",
        "checkout_invoice": "12345",
        "amount": 3_500,
        "status": "successful",
        "masked_card": "512345******0008",
        "card_type": "Mastercard",
    }
    event = gateway.parse_webhook(*delivery(thawani, "payment.succeeded", attempt))
    assert (event.kind, event.gateway_ref) == ("payment", "checkout_77")
    payment = event.payment
    assert (payment.status, payment.charge_ref) == ("succeeded", "pay_9")
    assert (payment.card_brand, payment.card_last4) == ("mastercard", "0008")


def test_payment_failed_leaves_the_payment_pending_with_the_reason(gateway, thawani):
    attempt = {
        "payment_id": "pay_10",
        "session_id": "checkout_77",
        "amount": 3_500,
        "status": "failed",
        "reason": "Insufficient funds",
    }
    event = gateway.parse_webhook(*delivery(thawani, "payment.failed", attempt))
    payment = event.payment
    assert (payment.status, payment.charge_ref) == ("pending", None)
    assert (payment.failure_code, payment.failure_message) == (
        "card_declined",
        "Insufficient funds",
    )


@pytest.mark.parametrize(
    ("event_type", "status", "ours"),
    [
        ("refund.succeeded", "successful", "succeeded"),
        ("refund.failed", "failed", "failed"),
    ],
)
def test_refund_events_are_refunds(gateway, thawani, event_type, status, ours):
    data = {
        "refund_id": "ref_5",
        "payment_id": "pay_9",
        "amount": 1_200,
        "status": status,
        "metadata": {"refund": "REF-40", "refund_key": "REF-40"},
    }
    event = gateway.parse_webhook(*delivery(thawani, event_type, data))
    assert (event.kind, event.gateway_ref) == ("refund", None)
    assert (event.refund.refund_ref, event.refund.status, event.refund.amount_baisa) == (
        "ref_5",
        ours,
        1_200,
    )
    assert event.refund.metadata["refund"] == "REF-40"


def test_an_unknown_event_type_is_other(gateway, thawani):
    event = gateway.parse_webhook(*delivery(thawani, "customer.created", {"id": "cus_1"}))
    assert (event.kind, event.payment, event.refund) == ("other", None, None)


def test_event_ids_are_stable_per_fact(gateway, thawani):
    first = gateway.parse_webhook(
        *delivery(thawani, "checkout.completed", SESSION, timestamp=str(int(time.time()) - 10))
    )
    again = gateway.parse_webhook(*delivery(thawani, "checkout.completed", SESSION))
    created = gateway.parse_webhook(
        *delivery(thawani, "checkout.created", {**SESSION, "payment_status": "unpaid"})
    )
    other = gateway.parse_webhook(
        *delivery(thawani, "checkout.completed", {**SESSION, "session_id": "checkout_78"})
    )
    assert first.event_id == again.event_id
    assert len({first.event_id, created.event_id, other.event_id}) == 3


def test_the_server_delivers_signed_webhooks_duplicated_and_shuffled(gateway, thawani, receiver):
    thawani.hold_webhooks = True
    checkout = start(gateway, "pay-LIC-41-1", 8_000)
    thawani.pay(checkout.gateway_ref, card="decline")
    thawani.pay(checkout.gateway_ref)
    payment = gateway.retrieve_payment(checkout.gateway_ref)
    gateway.refund(payment, 3_000, "REF-41", {"refund": "REF-41"}, "duplicate")
    made = [e["event_type"] for e in thawani.held]
    assert made == [
        "checkout.created",
        "payment.failed",
        "checkout.completed",
        "payment.succeeded",
        "refund.succeeded",
    ]

    sent = thawani.deliver_held(duplicates=2, shuffle=True)
    thawani.wait_for_deliveries(sent)

    events = [gateway.parse_webhook(body, headers) for body, headers in receiver.received]
    assert len(events) == 10
    in_order = [kind for kind in made for _ in range(2)]
    assert sorted(receiver.kinds()) == sorted(in_order) and receiver.kinds() != in_order
    assert len({e.event_id for e in events}) == 5  # each fact twice, under one id
    succeeded = {e.event_id: e for e in events if e.payment and e.payment.status == "succeeded"}
    assert {e.payment.gateway_ref for e in succeeded.values()} == {checkout.gateway_ref}
    refunds = [e.refund for e in events if e.kind == "refund"]
    assert {(r.status, r.amount_baisa) for r in refunds} == {("succeeded", 3_000)}


def test_the_server_delivers_each_event_as_it_happens(gateway, thawani, receiver):
    checkout = start(gateway, "pay-LIC-42-1")
    thawani.pay(checkout.gateway_ref)
    thawani.wait_for_deliveries(3)

    assert receiver.kinds() == ["checkout.created", "checkout.completed", "payment.succeeded"]
    assert [status for _, status in thawani.deliveries] == [200, 200, 200]
