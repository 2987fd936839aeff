"""Stripe as a `GatewayPlugin`: PaymentIntents confirmed by the client with Stripe.js."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from app.i18n import N_
from payments.gateways.base import (
    Checkout,
    GatewayEvent,
    GatewayPayment,
    GatewayRefund,
    ReturnUrls,
)
from payments.gateways.stripe import webhooks
from payments.gateways.stripe.client import StripeApi, as_dict
from payments.gateways.stripe.mapping import payment_of, refund_of

# Stripe takes OMR amounts in baisa whose last digit is 0, and at most eight digits.
AMOUNT_STEP_BAISA = 10
MAX_AMOUNT_BAISA = 99_999_990
NOT_A_MULTIPLE_OF_10 = N_(
    "The fee must be a whole multiple of 10 baisa: the card payment gateway only accepts "
    "Omani rial amounts whose last digit is 0 (for example 12.340, not 12.345)."
)
TOO_HIGH = N_("The fee cannot be more than 99999.990 rials, the card payment gateway's limit.")


class StripePlugin:
    name = "stripe"
    currency = "omr"
    # Stripe keeps an idempotency key (and the answer it gave) for 24 hours.
    idempotency_window = timedelta(hours=24)

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config
        self.publishable_key = config["STRIPE_PUBLISHABLE_KEY"]
        self._api: StripeApi | None = None

    @property
    def api(self) -> StripeApi:
        if self._api is None:
            self._api = StripeApi(self.config)
        return self._api

    def check_amount(self, amount_baisa: int) -> str | None:
        if amount_baisa % AMOUNT_STEP_BAISA:
            return NOT_A_MULTIPLE_OF_10
        if amount_baisa > MAX_AMOUNT_BAISA:
            return TOO_HIGH
        return None

    def start_payment(
        self,
        amount_baisa: int,
        reference: str,
        description: str,
        metadata: dict[str, str],
        return_urls: ReturnUrls,
    ) -> Checkout:
        """A PaymentIntent, made with `reference` as its idempotency key; the client confirms it
        in our page (`return_urls` are not Stripe's business). The description is not sent:
        the metadata names the application, and localstripe refuses the parameter."""
        params = {"amount": amount_baisa, "currency": self.currency, "metadata": metadata}
        intent = as_dict(
            self.api.call(
                self.api.v1.payment_intents.create,
                params=params,
                options={"idempotency_key": reference},
            )
        )
        return Checkout(
            intent["id"], payment_of(intent).status, client_secret=intent.get("client_secret")
        )

    def retrieve_payment(self, gateway_ref: str) -> GatewayPayment:
        raw = as_dict(
            self.api.call(
                self.api.v1.payment_intents.retrieve,
                gateway_ref,
                params={"expand": ["latest_charge"]},
            )
        )
        payment = payment_of(raw)
        method = raw.get("payment_method")
        if payment.card_last4 is None and isinstance(method, str):
            # Stripe puts the card on the charge; localstripe only on the payment method.
            card = as_dict(self.api.call(self.api.v1.payment_methods.retrieve, method))
            card = card.get("card") or {}
            payment = replace(payment, card_brand=card.get("brand"), card_last4=card.get("last4"))
        return payment

    def find_payment(self, reference: str) -> GatewayPayment | None:
        """By our metadata (Stripe's search), for an intent whose creation was not recorded
        once its idempotency key is forgotten."""
        found = self.api.call(
            self.api.v1.payment_intents.search,
            params={"query": f"metadata['payment']:'{reference}'", "limit": 1},
        )
        rows = as_dict(found).get("data") or []
        return payment_of(as_dict(rows[0])) if rows else None

    def resume_payment(self, gateway_ref: str) -> Checkout:
        intent = as_dict(self.api.call(self.api.v1.payment_intents.retrieve, gateway_ref))
        return Checkout(
            intent["id"], payment_of(intent).status, client_secret=intent.get("client_secret")
        )

    def cancel_payment(self, gateway_ref: str) -> GatewayPayment:
        """Cancel an intent; Stripe refuses (400) one already paid."""
        return payment_of(as_dict(self.api.call(self.api.v1.payment_intents.cancel, gateway_ref)))

    def refund(
        self,
        payment: GatewayPayment | str,
        amount_baisa: int,
        key: str,
        metadata: dict[str, str],
        reason: str = "",
    ) -> GatewayRefund:
        """A refund of the intent. Stripe's own `reason` is an enum of its words (duplicate,
        fraudulent, requested_by_customer), not our text: ours stays in our records."""
        ref = payment if isinstance(payment, str) else payment.gateway_ref
        params = {"payment_intent": ref, "amount": amount_baisa, "metadata": metadata}
        made = self.api.call(
            self.api.v1.refunds.create, params=params, options={"idempotency_key": key}
        )
        return refund_of(as_dict(made))

    def retrieve_refund(self, refund_ref: str) -> GatewayRefund:
        return refund_of(as_dict(self.api.call(self.api.v1.refunds.retrieve, refund_ref)))

    def list_refunds(self, gateway_ref: str) -> list[GatewayRefund]:
        page = self.api.call(
            self.api.v1.refunds.list, params={"payment_intent": gateway_ref, "limit": 100}
        )
        return self.api.call(lambda: [refund_of(as_dict(r)) for r in page.auto_paging_iter()])

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        return webhooks.parse_webhook(body, headers, self.config["STRIPE_WEBHOOK_SECRET"])

    def parse_recorded(self, raw: dict[str, Any]) -> GatewayEvent:
        """An event recorded before migration 0019 kept Stripe's own JSON (verified then)."""
        return webhooks.event_of(raw)
