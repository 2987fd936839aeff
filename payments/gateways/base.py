"""The contract between the payments core and a payment gateway's plugin.

The core speaks only these types, in our own status words; each plugin maps its gateway's words
onto them (nowhere else) and owns everything particular to its gateway: its client, its webhook
verification and parsing, its amount rules and how long it remembers an idempotency key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol

PaymentStatus = Literal["pending", "processing", "succeeded", "failed", "canceled", "expired"]
RefundStatus = Literal["pending", "succeeded", "failed", "canceled"]


class GatewayUnavailable(Exception):
    """The gateway could not be reached, timed out, or answered "not now" (5xx, a request with
    this key still in progress, too many requests): answer 503 with Retry-After; a retry with
    the same reference or key is safe."""


class GatewayRefused(Exception):
    """The gateway answered and refused the request (bad parameters, unknown object, our key)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def definite(self) -> bool:
        """A refusal of the request itself (invalid, declined, unknown object): sending it again
        will not help. Anything else (our key refused, …) is a fault to fix, not an answer."""
        return self.status in (400, 402, 404)


class WebhookRejected(Exception):
    """A delivery that is not the gateway's (bad or missing signature, stale timestamp) or that
    cannot be read: answered 400, recorded nowhere."""

    def __init__(self, code: str, detail: str | None = None) -> None:
        super().__init__(detail or code)
        self.code = code  # "signature_missing" | "signature_invalid" | "payload_invalid"
        self.detail = detail  # an `N_()` text for the problem's detail, when the plugin has one


@dataclass(frozen=True)
class ReturnUrls:
    """Where a hosted payment page sends the payer back (built by the core from PUBLIC_BASE_URL;
    a gateway whose client pays in our own page ignores them)."""

    success: str
    cancel: str


@dataclass(frozen=True)
class Checkout:
    """What starting a payment gives back: the client confirms with `client_secret` (Stripe.js)
    or is sent to `redirect_url` (a hosted page)."""

    gateway_ref: str
    status: PaymentStatus
    client_secret: str | None = None
    redirect_url: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class GatewayPayment:
    """The gateway's current view of one payment, in our words."""

    gateway_ref: str
    status: PaymentStatus
    amount_baisa: int
    charge_ref: str | None = None  # what a refund is made against (Stripe: the charge)
    card_brand: str | None = None
    card_last4: str | None = None
    failure_code: str | None = None  # a failure's code, or a cancellation's reason
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
    """One verified webhook delivery, parsed. `type` is the gateway's own name of the event,
    shown to finance (a refinement of the lead's contract: the event list needs it)."""

    event_id: str  # unique per gateway
    kind: Literal["payment", "refund", "other"]
    gateway_ref: str | None  # the payment this is about
    payment: GatewayPayment | None = None
    refund: GatewayRefund | None = None
    payload: dict = field(default_factory=dict)  # the raw JSON, kept on the PaymentEvent row
    type: str = ""


class GatewayPlugin(Protocol):
    """A payment gateway. Every method that calls out raises `GatewayUnavailable` or
    `GatewayRefused`, and is made with no database transaction open (checked in the client)."""

    name: str  # stored in Payment.gateway and PaymentEvent.gateway; the webhook's path segment
    # How long the gateway remembers an idempotency key (None: it has none; then an earlier
    # attempt is found by our reference: find_payment, list_refunds).
    idempotency_window: timedelta | None
    currency: str  # "omr"
    # Optional: what the client needs to talk to the gateway itself (Stripe's publishable key);
    # a plugin without it has none (a hosted page). Read through `payments.gateways.client_key`.
    publishable_key: str | None

    def check_amount(self, amount_baisa: int) -> str | None:
        """None when the gateway can take this amount; else a message (an `N_()` text) saying
        why not."""

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
        """The gateway's current view; GatewayRefused(status=404) when it has no such object."""

    def find_payment(self, reference: str) -> GatewayPayment | None:
        """The gateway's object for our reference, when its creation was not recorded."""

    def resume_payment(self, gateway_ref: str) -> Checkout:
        """What the client needs to go on paying an object made earlier (found by
        `find_payment`): its `client_secret` or its hosted page's `redirect_url`."""

    def cancel_payment(self, gateway_ref: str) -> GatewayPayment:
        """Cancel a payment not yet paid; a paid one is refused (or answered as succeeded)."""

    def refund(
        self,
        payment: GatewayPayment | str,
        amount_baisa: int,
        key: str,
        metadata: dict[str, str],
        reason: str,
    ) -> GatewayRefund:
        """Refund `amount_baisa` of a paid payment (its object or its gateway_ref). The same
        `key` gives back the same refund within `idempotency_window`."""

    def retrieve_refund(self, refund_ref: str) -> GatewayRefund: ...

    def list_refunds(self, gateway_ref: str) -> list[GatewayRefund]:
        """Every refund of a payment, with its metadata (to find one whose creation was not
        recorded once the gateway forgot its key)."""

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        """Verify (signature on the raw bytes, timestamp tolerance) and parse; WebhookRejected."""
