"""Thawani down or refusing: every way it can fail reaches us as one of our two exceptions."""

from __future__ import annotations

import time

import pytest

from payments.gateways.base import GatewayRefused, GatewayUnavailable
from payments.gateways.thawani import ThawaniGateway
from tests.payments.thawani.helpers import RETURN, start


@pytest.mark.parametrize("outage", ["refuse", "5xx", "hang"])
def test_an_outage_is_unavailable(gateway, thawani, outage):
    thawani.set_outage(outage)
    began = time.monotonic()

    with pytest.raises(GatewayUnavailable):
        start(gateway, "pay-LIC-30-1")

    assert time.monotonic() - began < 3  # THAWANI_TIMEOUT is 1 s: no retries, no long wait
    thawani.set_outage(None)
    assert thawani.sessions_for("pay-LIC-30-1") == []
    assert start(gateway, "pay-LIC-30-1").status == "pending"


def test_an_outage_during_retrieval_is_unavailable(gateway, thawani):
    checkout = start(gateway, "pay-LIC-31-1")
    thawani.set_outage("5xx")
    with pytest.raises(GatewayUnavailable):
        gateway.retrieve_payment(checkout.gateway_ref)


def test_a_lost_answer_is_unavailable(gateway, thawani):
    checkout = start(gateway, "pay-LIC-32-1")
    thawani.pay(checkout.gateway_ref)
    thawani.lose_answer("POST", "/refunds")
    payment = gateway.retrieve_payment(checkout.gateway_ref)
    with pytest.raises(GatewayUnavailable):
        gateway.refund(payment, 100, "REF-30", {}, "duplicate")


def test_our_key_refused_is_not_a_definite_answer(config, thawani):
    config["THAWANI_SECRET_KEY"] = "sk_wrong"
    with pytest.raises(GatewayRefused) as refused:
        start(ThawaniGateway(config), "pay-LIC-33-1")
    assert refused.value.status == 401
    assert not refused.value.definite
    assert thawani.sessions == {}


def test_invalid_parameters_are_refused_definitely(gateway, thawani):
    with pytest.raises(GatewayRefused) as refused:
        start(gateway, "pay-LIC-34-1", amount=0)
    assert refused.value.status == 400 and refused.value.definite
    assert "unit_amount" in str(refused.value)
    assert thawani.sessions == {}


def test_too_much_metadata_is_refused_definitely(gateway):
    metadata = {f"k{n}": "v" for n in range(11)}
    with pytest.raises(GatewayRefused) as refused:
        gateway.start_payment(100, "pay-LIC-35-1", "Fee", metadata, RETURN)
    assert refused.value.definite
