"""The payment-gateway plugin contract (issue 12, point 4): the types every plugin speaks, in our
own words, and the two exceptions every outgoing call maps its failures onto.

Each plugin maps its gateway's status words onto `PaymentStatus` / `RefundStatus` and nowhere
else; the core sees only these types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

PaymentStatus = Literal["pending", "processing", "succeeded", "failed", "canceled", "expired"]
RefundStatus = Literal["pending", "succeeded", "failed", "canceled"]


class GatewayUnavailable(Exception):
    """The gateway could not be reached, did not answer in time, or answered "not now" (5xx, a
    lock or rate limit): the core answers 503 with Retry-After; sending again is safe."""


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


class WebhookRejected(Exception):
    """A webhook delivery we will not act on: bad or missing signature, stale timestamp,
    unparsable body. The route answers 400."""

    code: str  # "signature_missing" | "signature_invalid" | "payload_invalid"

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or code)
        self.code = code


@dataclass(frozen=True)
class ReturnUrls:
    """Where a hosted payment page sends the payer back (built by the core from
    PUBLIC_BASE_URL); ignored by gateways without a hosted page."""

    success: str
    cancel: str


@dataclass(frozen=True)
class Checkout:
    """What starting a payment gives back."""

    gateway_ref: str  # Stripe: PaymentIntent id; Thawani: checkout session_id
    status: PaymentStatus
    client_secret: str | None = None  # Stripe: the client confirms with Stripe.js
    redirect_url: str | None = None  # Thawani: the client is sent to the hosted page
    expires_at: datetime | None = None


@dataclass(frozen=True)
class GatewayPayment:
    """The gateway's current view of one payment, in our words."""

    gateway_ref: str
    status: PaymentStatus
    amount_baisa: int
    charge_ref: str | None = None  # Stripe charge id; Thawani payment_id (refunds need it)
    card_brand: str | None = None
    card_last4: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayRefund:
    refund_ref: str
    status: RefundStatus
    amount_baisa: int
    failure_reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class GatewayEvent:
    """One verified webhook delivery, parsed."""

    event_id: str  # unique per gateway (Stripe evt_…; Thawani: derived, it sends none)
    kind: Literal["payment", "refund", "other"]
    gateway_ref: str | None  # the payment this is about
    payment: GatewayPayment | None = None
    refund: GatewayRefund | None = None
    payload: dict = field(default_factory=dict)  # the raw JSON kept on the PaymentEvent row


class GatewayPlugin(Protocol):
    name: str  # stored in Payment.gateway
    # How long the gateway remembers an idempotency key (Stripe 24 h); None when it has none
    # (then the core finds an earlier attempt by our reference: find_payment/list_refunds).
    idempotency_window: timedelta | None
    currency: str  # "omr"

    def check_amount(self, amount_baisa: int) -> str | None:
        """None when the gateway can take this amount; else a problem code."""

    def start_payment(
        self,
        amount_baisa: int,
        reference: str,
        description: str,
        metadata: dict[str, str],
        return_urls: ReturnUrls,
    ) -> Checkout:
        """Create the intent / checkout session. `reference` is our payment reference and the
        idempotency key / client_reference_id: the same reference gives back the same object."""

    def retrieve_payment(self, gateway_ref: str) -> GatewayPayment:
        """The gateway's current view; GatewayRefused(status=404) when it has none."""

    def find_payment(self, reference: str) -> GatewayPayment | None:
        """The gateway's object for our reference, when its creation was not recorded."""

    def cancel_payment(self, gateway_ref: str) -> GatewayPayment:
        """Cancel a payment that has not been paid."""

    def refund(
        self,
        payment: GatewayPayment | str,
        amount_baisa: int,
        key: str,
        metadata: dict[str, str],
        reason: str,
    ) -> GatewayRefund:
        """Refund `amount_baisa` of a paid payment; the same `key` refunds nothing twice."""

    def retrieve_refund(self, refund_ref: str) -> GatewayRefund:
        """The gateway's current view of a refund."""

    def list_refunds(self, gateway_ref: str) -> list[GatewayRefund]:
        """Every refund of a paid payment, with its metadata."""

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        """Verify (signature on the raw bytes, timestamp tolerance) and parse; WebhookRejected."""
