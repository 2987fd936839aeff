"""Payment gateways as plugins: the gateway a payment is made through, what the client is told to
do next, the webhook route of every registered gateway, and the payment workflow's table."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.workflow import StateWriteRefused
from payments import gateways
from payments import lifecycle as pl
from payments.gateways.stripe.plugin import StripePlugin
from payments.models import Payment, PaymentEvent
from tests.payments.helpers import event, payment_pending, post_event

# The payment workflow, written out here (not read from the code): (state, action) -> target.
# Every action is our own code's ("system"), and is named for the state it reaches.
EXPECTED = {
    ("pending", "succeeded"): "succeeded",
    ("pending", "failed"): "failed",
    ("pending", "canceled"): "canceled",
    ("pending", "expired"): "expired",
    ("failed", "succeeded"): "succeeded",
    ("failed", "failed"): "failed",
    ("failed", "canceled"): "canceled",
    ("failed", "expired"): "expired",
}
STATES = ("pending", "failed", "succeeded", "canceled", "expired")
ACTIONS = ("succeeded", "failed", "canceled", "expired")


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_the_payment_table_against_its_key(state, action):
    rule = pl.WORKFLOW.transitions[action]
    assert (state in rule.sources) == ((state, action) in EXPECTED)
    if (state, action) in EXPECTED:
        assert rule.target == EXPECTED[(state, action)]
    assert rule.roles == {"system"}
    assert set(pl.WORKFLOW.transitions) == set(ACTIONS)


def _started(app, client, **body):
    _, headers, application = payment_pending(app, client)
    answer = client.post(
        f"/api/v1/applications/{application['id']}/payment",
        headers={**headers, "Accept-Language": "en"},
        **({"json": body} if body else {}),
    )
    return application, answer


def test_a_direct_write_of_a_stored_payments_state_is_refused(stripe_app, localstripe, client):
    _, answer = _started(stripe_app, client)
    with stripe_app.app_context():
        payment = db.session.get(Payment, answer.get_json()["payment_id"])
        with pytest.raises(StateWriteRefused):
            payment.state = "succeeded"
        db.session.rollback()
        assert db.session.get(Payment, payment.id).state == "pending"


def test_the_answer_says_the_gateway_and_what_the_client_does_next(stripe_app, localstripe, client):
    _, answer = _started(stripe_app, client)
    assert answer.status_code == 201
    body = answer.get_json()
    assert (body["gateway"], body["next_action"], body["redirect_url"]) == (
        "stripe",
        "confirm",
        None,
    )
    assert body["client_secret"].startswith(body["gateway_intent_id"])
    assert body["publishable_key"] == "pk_test_baladiya"
    with stripe_app.app_context():
        assert db.session.get(Payment, body["payment_id"]).gateway == "stripe"


def test_the_client_may_name_an_offered_gateway(stripe_app, localstripe, client):
    _, answer = _started(stripe_app, client, gateway="stripe")
    assert answer.status_code == 201 and answer.get_json()["gateway"] == "stripe"


@pytest.mark.parametrize("choice", ["thawani", "paypal", 7])
def test_a_gateway_not_offered_is_refused_and_nothing_is_kept(
    stripe_app, localstripe, client, choice
):
    _, answer = _started(stripe_app, client, gateway=choice)
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["code"] == "validation_failed"
    assert [e["field"] for e in answer.get_json()["errors"]] == ["gateway"]
    with stripe_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Payment)) == 0


def test_which_gateways_an_authority_offers_is_configuration(app):
    saved = {k: app.config[k] for k in ("PAYMENT_GATEWAYS", "PAYMENT_GATEWAYS_BY_AUTHORITY")}
    app.config.update(
        PAYMENT_GATEWAYS="stripe", PAYMENT_GATEWAYS_BY_AUTHORITY="nbg=thawani, stripe; ABG=stripe"
    )
    try:
        with app.app_context():
            assert gateways.offered("NBG") == ["thawani", "stripe"]
            assert gateways.default_for("NBG") == "thawani"
            assert gateways.offered("ABG") == ["stripe"]
            assert gateways.offered("MCT") == ["stripe"]  # no override: the default list
            gateways.init_app(app)  # both registered: accepted at start
            app.config["PAYMENT_GATEWAYS_BY_AUTHORITY"] = "NBG=paypal,stripe"
            with pytest.raises(RuntimeError, match="paypal"):
                gateways.init_app(app)  # not registered: refused at start
    finally:
        app.config.update(saved)


def test_stripe_takes_omr_amounts_ending_in_zero_up_to_eight_digits():
    stripe = StripePlugin({"STRIPE_PUBLISHABLE_KEY": "pk", "STRIPE_API_KEY": "sk"})
    assert stripe.check_amount(12_340) is None and stripe.check_amount(99_999_990) is None
    assert "multiple of 10 baisa" in stripe.check_amount(12_345)
    assert "99999.990" in stripe.check_amount(100_000_000)
    assert stripe.idempotency_window.total_seconds() == 24 * 3600


def test_the_stripe_webhook_is_the_gateway_route_and_its_events_name_their_gateway(
    stripe_app, localstripe, client
):
    spec = client.get("/api/openapi.json").get_json()["paths"]
    assert "/api/v1/payments/{gateway}/webhook" in spec
    assert "/api/v1/payments/stripe/webhook" not in spec  # not a second route: the same one
    _, answer = _started(stripe_app, client)
    body = answer.get_json()
    paid = event("payment_intent.succeeded", body["gateway_intent_id"], 3000)
    assert post_event(client, paid).status_code == 200
    assert stripe_app.extensions["jobs"].drain(15)
    with stripe_app.app_context():
        row = db.session.scalar(sa.select(PaymentEvent))
        assert (row.gateway, row.gateway_event_id, row.type, row.outcome) == (
            "stripe",
            paid["id"],
            "payment_intent.succeeded",
            "succeeded",
        )
        assert row.payload["kind"] == "payment" and row.payload["payload"] == paid
        assert db.session.get(Payment, body["payment_id"]).state == "succeeded"


def test_a_webhook_for_an_unknown_gateway_is_404(stripe_app, localstripe, client):
    response = client.post(
        "/api/v1/payments/paypal/webhook", data=b"{}", content_type="application/json"
    )
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    with stripe_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentEvent)) == 0


def test_an_offered_gateway_without_its_settings_stops_the_app_at_start(app):
    saved = {k: app.config[k] for k in ("PAYMENT_GATEWAYS", "THAWANI_SECRET_KEY")}
    app.config.update(PAYMENT_GATEWAYS="stripe,thawani", THAWANI_SECRET_KEY="")
    try:
        with pytest.raises(RuntimeError, match="THAWANI_SECRET_KEY"):
            gateways.init_app(app)
        app.config["PAYMENT_GATEWAYS"] = "stripe"  # not offered: its empty key is not asked for
        gateways.init_app(app)
    finally:
        app.config.update(saved)
