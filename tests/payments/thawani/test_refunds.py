"""Refunds through the plugin against the Thawani test server: partial then the rest, never above
the captured amount, one refund per key, found again by our metadata."""

from __future__ import annotations

import pytest

from payments.gateways.base import GatewayRefused
from tests.payments.thawani.helpers import start


@pytest.fixture
def paid(gateway, thawani):
    checkout = start(gateway, "pay-LIC-20-1", 10_000)
    thawani.pay(checkout.gateway_ref)
    return gateway.retrieve_payment(checkout.gateway_ref)


def refund(gateway, payment, amount, key):
    return gateway.refund(payment, amount, key, {"refund": key}, "requested_by_customer")


def test_partial_refund_then_the_rest(gateway, thawani, paid):
    first = refund(gateway, paid, 4_000, "REF-1")
    rest = refund(gateway, paid.gateway_ref, 6_000, "REF-2")

    assert (first.status, first.amount_baisa) == ("succeeded", 4_000)
    assert (rest.status, rest.amount_baisa) == ("succeeded", 6_000)
    assert first.metadata == {"refund": "REF-1", "refund_key": "REF-1"}
    sent = thawani.refunds[first.refund_ref]
    assert (sent["payment_id"], sent["amount"], sent["reason"]) == (
        paid.charge_ref,
        4_000,
        "requested_by_customer",
    )
    assert thawani.refunded(paid.charge_ref) == 10_000


def test_a_refund_above_the_captured_amount_is_refused(gateway, thawani, paid):
    with pytest.raises(GatewayRefused) as refused:
        refund(gateway, paid, 10_001, "REF-3")
    assert refused.value.status == 400 and refused.value.definite
    assert thawani.refunds == {}


def test_a_refund_above_what_is_left_is_refused(gateway, thawani, paid):
    refund(gateway, paid, 7_500, "REF-4")

    with pytest.raises(GatewayRefused) as refused:
        refund(gateway, paid, 2_501, "REF-5")

    assert refused.value.definite
    assert thawani.refunded(paid.charge_ref) == 7_500
    assert refund(gateway, paid, 2_500, "REF-6").amount_baisa == 2_500
    with pytest.raises(GatewayRefused, match="already refunded"):
        refund(gateway, paid, 1, "REF-7")


def test_the_same_key_refunds_nothing_twice(gateway, thawani, paid):
    first = refund(gateway, paid, 3_000, "REF-8")
    again = refund(gateway, paid, 3_000, "REF-8")

    assert again.refund_ref == first.refund_ref
    assert len(thawani.refunds) == 1
    assert thawani.refunded(paid.charge_ref) == 3_000


def test_a_refund_whose_answer_was_lost_is_found_by_its_key(gateway, thawani, paid):
    thawani.lose_answer("POST", "/refunds")
    with pytest.raises(Exception):  # noqa: B017 - GatewayUnavailable, asserted in test_faults
        refund(gateway, paid, 2_000, "REF-9")
    assert len(thawani.refunds) == 1

    listed = gateway.list_refunds(paid.gateway_ref)
    assert [(r.amount_baisa, r.metadata["refund"]) for r in listed] == [(2_000, "REF-9")]
    again = refund(gateway, paid, 2_000, "REF-9")
    assert again.refund_ref == listed[0].refund_ref
    assert len(thawani.refunds) == 1


def test_list_refunds_keeps_only_this_payments_across_pages(gateway, thawani, paid):
    other = start(gateway, "pay-LIC-21-1", 200_000)
    thawani.pay(other.gateway_ref)
    other_paid = gateway.retrieve_payment(other.gateway_ref)
    # Thawani already holds more than one page (100) of another payment's refunds.
    for _ in range(120):
        thawani.create_refund({"payment_id": other_paid.charge_ref, "amount": 1})
    refund(gateway, paid, 1_000, "REF-10")
    for _ in range(3):
        thawani.create_refund({"payment_id": other_paid.charge_ref, "amount": 1})

    listed = gateway.list_refunds(paid.gateway_ref)

    assert [(r.amount_baisa, r.metadata["refund"]) for r in listed] == [(1_000, "REF-10")]
    assert len(gateway.list_refunds(other.gateway_ref)) == 123


def test_an_unpaid_session_has_no_refunds_and_cannot_be_refunded(gateway, thawani):
    checkout = start(gateway, "pay-LIC-22-1")

    assert gateway.list_refunds(checkout.gateway_ref) == []
    with pytest.raises(GatewayRefused) as refused:
        refund(gateway, checkout.gateway_ref, 100, "REF-11")
    assert refused.value.definite
    assert thawani.refunds == {}


def test_a_pending_refund_settles_later(gateway, thawani, paid):
    thawani.refund_outcome = "pending"
    made = refund(gateway, paid, 5_000, "REF-12")
    assert made.status == "pending"

    thawani.settle_refund(made.refund_ref, "failed")
    failed = gateway.retrieve_refund(made.refund_ref)

    assert (failed.status, failed.amount_baisa) == ("failed", 5_000)
    assert thawani.refunded(paid.charge_ref) == 0
