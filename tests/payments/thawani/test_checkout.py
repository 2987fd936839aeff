"""Checkout sessions through the plugin, against the Thawani test server: start, the hosted page,
confirmation by retrieval, the same reference giving back the same session, cancellation."""

from __future__ import annotations

import pytest
import requests
from flask import Flask

from payments.gateways.base import GatewayRefused, GatewayUnavailable
from payments.gateways.thawani import ThawaniGateway, ThawaniNotConfigured
from tests.payments.thawani.helpers import RETURN, start


def test_start_redirect_pay_retrieve_succeeded_with_payment_id(gateway, thawani):
    checkout = start(gateway, "pay-LIC-7-1", 12_500)

    assert checkout.status == "pending"
    assert checkout.client_secret is None
    assert checkout.redirect_url == (
        f"{thawani.url}/pay/{checkout.gateway_ref}?key=thawani_pk_test_baladiya"
    )
    assert checkout.expires_at is not None
    session = thawani.sessions[checkout.gateway_ref]
    assert session["client_reference_id"] == "pay-LIC-7-1"
    assert session["products"] == [
        {"name": "Trade licence fee", "quantity": 1, "unit_amount": 12_500}
    ]
    assert (session["success_url"], session["cancel_url"]) == (RETURN.success, RETURN.cancel)
    assert session["metadata"] == {"payment": "pay-LIC-7-1", "authority": "MCT"}

    page = requests.get(checkout.redirect_url, timeout=5)
    assert page.status_code == 200 and "12500 baisa" in page.text
    paid = requests.post(
        checkout.redirect_url, data={"card": "success"}, allow_redirects=False, timeout=5
    )
    assert paid.status_code == 303 and paid.headers["Location"] == RETURN.success

    payment = gateway.retrieve_payment(checkout.gateway_ref)
    attempt = next(iter(thawani.payments.values()))
    assert payment.status == "succeeded"
    assert payment.amount_baisa == 12_500
    assert payment.charge_ref == attempt["payment_id"]
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert payment.metadata == {"payment": "pay-LIC-7-1", "authority": "MCT"}


def test_the_same_reference_gives_back_the_same_session(gateway, thawani):
    first = start(gateway, "pay-LIC-8-1")
    again = start(gateway, "pay-LIC-8-1")

    assert again.gateway_ref == first.gateway_ref
    assert len(thawani.sessions_for("pay-LIC-8-1")) == 1


def test_find_payment_after_a_creation_whose_answer_was_lost(gateway, thawani):
    thawani.lose_answer("POST", "/checkout/session")
    with pytest.raises(GatewayUnavailable):
        start(gateway, "pay-LIC-9-1", 5_000)
    made = thawani.sessions_for("pay-LIC-9-1")
    assert len(made) == 1  # Thawani made it; we never heard

    found = gateway.find_payment("pay-LIC-9-1")
    assert found is not None
    assert (found.gateway_ref, found.status, found.amount_baisa) == (
        made[0]["session_id"],
        "pending",
        5_000,
    )
    retried = start(gateway, "pay-LIC-9-1", 5_000)
    assert retried.gateway_ref == made[0]["session_id"]
    assert len(thawani.sessions_for("pay-LIC-9-1")) == 1


def test_find_payment_for_a_reference_thawani_never_saw(gateway):
    assert gateway.find_payment("pay-LIC-404-1") is None


def test_find_payment_of_a_paid_session_carries_the_payment_id(gateway, thawani):
    checkout = start(gateway, "pay-LIC-10-1")
    attempt = thawani.pay(checkout.gateway_ref)

    found = gateway.find_payment("pay-LIC-10-1")

    assert (found.status, found.charge_ref) == ("succeeded", attempt["payment_id"])


def test_cancel_an_unpaid_session(gateway, thawani):
    checkout = start(gateway, "pay-LIC-11-1")

    canceled = gateway.cancel_payment(checkout.gateway_ref)

    assert canceled.status == "canceled"
    assert thawani.sessions[checkout.gateway_ref]["payment_status"] == "cancelled"
    assert ("POST", f"/checkout/{checkout.gateway_ref}/cancel") in thawani.seen
    with pytest.raises(Exception, match="cannot be paid"):
        thawani.pay(checkout.gateway_ref)


def test_cancel_of_a_paid_session_is_refused_definitely(gateway, thawani):
    checkout = start(gateway, "pay-LIC-12-1")
    thawani.pay(checkout.gateway_ref)

    with pytest.raises(GatewayRefused) as refused:
        gateway.cancel_payment(checkout.gateway_ref)

    assert refused.value.status == 400 and refused.value.definite
    assert gateway.retrieve_payment(checkout.gateway_ref).status == "succeeded"


def test_a_declined_card_leaves_the_session_payable(gateway, thawani):
    checkout = start(gateway, "pay-LIC-13-1")
    thawani.pay(checkout.gateway_ref, card="decline")

    assert gateway.retrieve_payment(checkout.gateway_ref).status == "pending"
    thawani.pay(checkout.gateway_ref, card="success")
    assert gateway.retrieve_payment(checkout.gateway_ref).status == "succeeded"


def test_an_unpaid_session_past_its_expiry_is_expired(gateway, thawani):
    checkout = start(gateway, "pay-LIC-14-1")
    thawani.expire(checkout.gateway_ref)

    assert gateway.retrieve_payment(checkout.gateway_ref).status == "expired"


def test_an_unknown_session_is_refused_as_not_found(gateway):
    with pytest.raises(GatewayRefused) as refused:
        gateway.retrieve_payment("checkout_nope")
    assert refused.value.status == 404 and refused.value.definite


@pytest.mark.parametrize(
    ("amount", "answer"),
    [
        (0, "The amount must be at least 0.001 rials for the hosted payment page."),
        (1, None),
        (12_345, None),
        (5_000_000_000, None),
        (
            5_000_000_001,
            "The amount cannot be more than 5000000.000 rials, the hosted payment page's limit.",
        ),
    ],
)
def test_check_amount(gateway, amount, answer):
    assert gateway.check_amount(amount) == answer


def test_the_contract_constants(gateway):
    assert (gateway.name, gateway.currency, gateway.idempotency_window) == (
        "thawani",
        "omr",
        None,
    )


@pytest.mark.parametrize(
    "key",
    [
        "THAWANI_API_BASE",
        "THAWANI_CHECKOUT_BASE",
        "THAWANI_SECRET_KEY",
        "THAWANI_PUBLISHABLE_KEY",
        "THAWANI_WEBHOOK_SECRET",
    ],
)
def test_an_empty_setting_refuses_to_start_thawani(config, key):
    config[key] = ""
    with pytest.raises(ThawaniNotConfigured, match=key):
        ThawaniGateway(config)


def test_the_plugin_reads_the_app_configuration(config, thawani):
    app = Flask("thawani-config")
    app.config.update(config)
    with app.app_context():
        checkout = start(ThawaniGateway(), "pay-LIC-15-1")
    assert checkout.gateway_ref in thawani.sessions
