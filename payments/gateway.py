"""The payment gateway behind one small interface; Stripe (PaymentIntents, official SDK's
`StripeClient`) is the implementation, pointed at localstripe in development and tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import stripe
from flask import current_app


class GatewayUnavailable(Exception):
    """The gateway could not be reached or did not answer in time: try again later."""


class GatewayRefused(Exception):
    """The gateway answered and refused the request (bad parameters, unknown object)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def definite(self) -> bool:
        """A refusal of the request itself (invalid, declined, unknown object): sending it again
        will not help. Anything else (our key refused, …) is a fault to fix, not an answer."""
        return self.status in (400, 402, 404)


# Stripe's answers that mean "not now": an idempotent request with this key still in progress or
# an object locked (409), too many requests or a lock time-out (429), its own errors (5xx).
TRANSIENT_STATUSES = frozenset({409, 429})


@dataclass(frozen=True)
class Intent:
    id: str
    status: str  # Stripe's own: requires_payment_method, processing, succeeded, canceled, ...
    amount: int
    currency: str
    client_secret: str | None
    charge_id: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    metadata: dict[str, Any] | None = None


class PaymentGateway(Protocol):
    def create_intent(
        self, amount: int, currency: str, metadata: dict[str, str], idempotency_key: str
    ) -> Intent:
        """Create a PaymentIntent for `amount` in the currency's smallest unit. The same
        `idempotency_key` must give back the same intent (a retry after a time-out creates none).
        Raises GatewayUnavailable when it cannot be reached, GatewayRefused when refused."""

    def retrieve_intent(self, intent_id: str) -> Intent:
        """The gateway's current view of an intent; GatewayRefused(status=404) if it has none."""

    def cancel_intent(self, intent_id: str) -> Intent:
        """Cancel an intent that has not been paid."""

    def create_refund(
        self, intent_id: str, amount: int, idempotency_key: str, metadata: dict[str, str]
    ) -> GatewayRefund:
        """Refund `amount` of a paid intent. The same `idempotency_key` must give back the same
        refund (a retry after a crash or time-out refunds nothing twice)."""

    def retrieve_refund(self, refund_id: str) -> GatewayRefund:
        """The gateway's current view of a refund."""

    def list_refunds(self, intent_id: str) -> list[GatewayRefund]:
        """Every refund of a paid intent, with its metadata: how to find a refund whose creation
        was not recorded once the gateway has forgotten its idempotency key (after 24 hours)."""


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    status: str  # pending, succeeded, failed, canceled, requires_action
    amount: int
    failure_reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def _refund(obj: Any) -> GatewayRefund:
    data = obj.to_dict()
    return GatewayRefund(
        data["id"],
        data.get("status") or "pending",
        data.get("amount") or 0,
        data.get("failure_reason"),
        dict(data.get("metadata") or {}),
    )


def _intent(obj: Any) -> Intent:
    data = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    charge = data.get("latest_charge")
    card = {}
    if isinstance(charge, dict):
        card = (charge.get("payment_method_details") or {}).get("card") or {}
        charge_id = charge.get("id")
    else:
        charge_id = charge
    error = data.get("last_payment_error") or {}
    return Intent(
        id=data["id"],
        status=data["status"],
        amount=data["amount"],
        currency=data["currency"],
        client_secret=data.get("client_secret"),
        charge_id=charge_id,
        card_brand=card.get("brand"),
        card_last4=card.get("last4"),
        failure_code=error.get("code"),
        failure_message=error.get("message"),
        metadata=data.get("metadata") or {},
    )


class StripeGateway:
    def __init__(self, config) -> None:
        self.client = stripe.StripeClient(
            config["STRIPE_API_KEY"],
            base_addresses={"api": config["STRIPE_API_BASE"]},
            max_network_retries=0,  # we retry ourselves, with the same idempotency key
            http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT", 10)),
        )

    def _call(self, call, *args, **kwargs):
        try:
            return call(*args, **kwargs)
        except stripe.APIConnectionError as error:
            raise GatewayUnavailable(str(error)) from error
        except stripe.StripeError as error:
            status = getattr(error, "http_status", None)
            if status is not None and (status >= 500 or status in TRANSIENT_STATUSES):
                raise GatewayUnavailable(str(error)) from error
            raise GatewayRefused(str(error), status) from error

    def create_intent(self, amount, currency, metadata, idempotency_key) -> Intent:
        intent = self._call(
            self.client.v1.payment_intents.create,
            params={"amount": amount, "currency": currency, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
        )
        return _intent(intent)

    def retrieve_intent(self, intent_id) -> Intent:
        raw = self._call(
            self.client.v1.payment_intents.retrieve, intent_id, params={"expand": ["latest_charge"]}
        )
        intent = _intent(raw)
        method = raw.to_dict().get("payment_method")
        if intent.card_last4 is None and isinstance(method, str):
            # Stripe puts the card on the charge; localstripe only on the payment method.
            card = (
                self._call(self.client.v1.payment_methods.retrieve, method).to_dict().get("card")
                or {}
            )
            intent = replace(intent, card_brand=card.get("brand"), card_last4=card.get("last4"))
        return intent

    def cancel_intent(self, intent_id) -> Intent:
        return _intent(self._call(self.client.v1.payment_intents.cancel, intent_id))

    def create_refund(self, intent_id, amount, idempotency_key, metadata) -> GatewayRefund:
        return _refund(
            self._call(
                self.client.v1.refunds.create,
                params={"payment_intent": intent_id, "amount": amount, "metadata": metadata},
                options={"idempotency_key": idempotency_key},
            )
        )

    def retrieve_refund(self, refund_id) -> GatewayRefund:
        return _refund(self._call(self.client.v1.refunds.retrieve, refund_id))

    def list_refunds(self, intent_id) -> list[GatewayRefund]:
        page = self._call(
            self.client.v1.refunds.list, params={"payment_intent": intent_id, "limit": 100}
        )
        return self._call(lambda: [_refund(r) for r in page.auto_paging_iter()])


def gateway() -> PaymentGateway:
    return StripeGateway(current_app.config)
