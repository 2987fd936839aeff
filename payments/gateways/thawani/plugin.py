"""`ThawaniGateway`: Thawani's hosted checkout behind our `GatewayPlugin` contract.

A payment is a checkout session named by our reference (`client_reference_id`); the payer is sent
to Thawani's page (`redirect_url`); the captured attempt's `payment_id` is what a refund needs.
Thawani has no idempotency keys, so repeats are found instead of prevented twice over: starting a
payment first asks for a session already made for the reference, and a refund first looks for one
already made with the same key (kept in its metadata).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from flask import current_app

from app.i18n import N_
from payments.gateways.base import (
    Checkout,
    GatewayEvent,
    GatewayPayment,
    GatewayRefund,
    GatewayRefused,
    ReturnUrls,
)
from payments.gateways.thawani import mapping, webhooks
from payments.gateways.thawani.client import PAGE_SIZE, ThawaniClient

# Thawani's limits on one product line (one line carries the whole amount): unit_amount is an
# integer number of baisa from 1 to 5,000,000,000; a product name is at most 40 characters.
MIN_BAISA = 1
MAX_BAISA = 5_000_000_000
TOO_SMALL = N_("The amount must be at least 0.001 rials for the hosted payment page.")
TOO_LARGE = N_("The amount cannot be more than 5000000.000 rials, the hosted payment page's limit.")
NAME_LENGTH = 40
# Our key of a refund, kept in its metadata: how a retry finds a refund already made.
REFUND_KEY = "refund_key"
REQUIRED = (
    "THAWANI_API_BASE",
    "THAWANI_CHECKOUT_BASE",
    "THAWANI_SECRET_KEY",
    "THAWANI_PUBLISHABLE_KEY",
    "THAWANI_WEBHOOK_SECRET",
)


class ThawaniNotConfigured(RuntimeError):
    """A required THAWANI_* setting is empty: Thawani is not offered rather than half working."""


class ThawaniGateway:
    name = "thawani"
    idempotency_window: timedelta | None = None  # Thawani documents no idempotency keys
    currency = "omr"  # Thawani settles in Omani rials only

    def __init__(self, config: Mapping | None = None) -> None:
        config = current_app.config if config is None else config
        missing = [key for key in REQUIRED if not config.get(key)]
        if missing:
            raise ThawaniNotConfigured("empty setting(s): " + ", ".join(missing))
        self.client = ThawaniClient(
            config["THAWANI_API_BASE"],
            config["THAWANI_SECRET_KEY"],
            float(config.get("THAWANI_TIMEOUT") or 10),
        )
        self.checkout_base = config["THAWANI_CHECKOUT_BASE"].rstrip("/")
        self.publishable_key = config["THAWANI_PUBLISHABLE_KEY"]
        self.webhook_secret = config["THAWANI_WEBHOOK_SECRET"]

    def check_amount(self, amount_baisa: int) -> str | None:
        """Thawani takes 1 to 5,000,000,000 baisa on one product line."""
        if amount_baisa < MIN_BAISA:
            return TOO_SMALL
        if amount_baisa > MAX_BAISA:
            return TOO_LARGE
        return None

    def redirect_url(self, session_id: str) -> str:
        return f"{self.checkout_base}/pay/{session_id}?key={self.publishable_key}"

    def _checkout(self, session: dict) -> Checkout:
        return Checkout(
            gateway_ref=str(session["session_id"]),
            status=mapping.payment_status(session),
            redirect_url=self.redirect_url(str(session["session_id"])),
            expires_at=mapping.parse_time(session.get("expire_at")),
        )

    def _session_for(self, reference: str) -> dict | None:
        try:
            return self.client.get_session_by_reference(reference)
        except GatewayRefused as error:
            if error.status == 404:
                return None
            raise

    def start_payment(
        self,
        amount_baisa: int,
        reference: str,
        description: str,
        metadata: dict[str, str],
        return_urls: ReturnUrls,
    ) -> Checkout:
        """A checkout session for `reference`: the one already made for it if it can still be
        paid (a retry after a lost answer makes none), else a new one of one product line."""
        existing = self._session_for(reference)
        if existing is not None and mapping.payment_status(existing) in ("pending", "succeeded"):
            return self._checkout(existing)
        session = self.client.create_session(
            {
                "client_reference_id": reference,
                "mode": "payment",
                "products": [
                    {
                        "name": (description or reference)[:NAME_LENGTH],
                        "quantity": 1,
                        "unit_amount": amount_baisa,
                    }
                ],
                "success_url": return_urls.success,
                "cancel_url": return_urls.cancel,
                "metadata": dict(metadata),
            }
        )
        return self._checkout(session)

    def _payment(self, session: dict) -> GatewayPayment:
        attempt = None
        if mapping.payment_status(session) == "succeeded" and session.get("invoice"):
            attempt = mapping.captured(self.client.list_payments(str(session["invoice"])))
        return mapping.payment_from_session(session, attempt)

    def retrieve_payment(self, gateway_ref: str) -> GatewayPayment:
        """The session's status; once paid, with the captured attempt's payment_id and card."""
        return self._payment(self.client.get_session(gateway_ref))

    def find_payment(self, reference: str) -> GatewayPayment | None:
        session = self._session_for(reference)
        return None if session is None else self._payment(session)

    def resume_payment(self, gateway_ref: str) -> Checkout:
        """The session's hosted page again (the payer is sent back to it)."""
        return self._checkout(self.client.get_session(gateway_ref))

    def cancel_payment(self, gateway_ref: str) -> GatewayPayment:
        """Cancel an unpaid session; a paid one is refused by Thawani (GatewayRefused)."""
        self.client.cancel_session(gateway_ref)
        return self.retrieve_payment(gateway_ref)

    def _charge_ref(self, payment: GatewayPayment | str) -> str:
        """The captured attempt's payment_id (what Thawani refunds): the one given (the core
        passes what it recorded at success), else asked of Thawani from the session."""
        if isinstance(payment, str) or payment.charge_ref is None:
            ref = payment if isinstance(payment, str) else payment.gateway_ref
            payment = self.retrieve_payment(ref)
        if payment.charge_ref is None:
            raise GatewayRefused(f"Thawani session {payment.gateway_ref} is not paid", 400)
        return payment.charge_ref

    def _refunds_of(self, payment_id: str) -> list[dict]:
        found, skip = [], 0
        while True:
            page = self.client.list_refunds(skip)
            found += [r for r in page if str(r.get("payment_id")) == payment_id]
            if len(page) < PAGE_SIZE:
                return found
            skip += PAGE_SIZE

    def refund(
        self,
        payment: GatewayPayment | str,
        amount_baisa: int,
        key: str,
        metadata: dict[str, str],
        reason: str,
    ) -> GatewayRefund:
        """Refund part or all of the captured amount. A refund already made with `key` is
        given back instead of a second one; Thawani refuses more than what is left."""
        payment_id = self._charge_ref(payment)
        for made in self._refunds_of(payment_id):
            if (made.get("metadata") or {}).get(REFUND_KEY) == key:
                return mapping.refund_from(made)
        refund = self.client.create_refund(
            {
                "payment_id": payment_id,
                "amount": amount_baisa,
                "reason": reason,
                "metadata": {**metadata, REFUND_KEY: key},
            }
        )
        return mapping.refund_from(refund)

    def retrieve_refund(self, refund_ref: str) -> GatewayRefund:
        return mapping.refund_from(self.client.get_refund(refund_ref))

    def list_refunds(self, gateway_ref: str) -> list[GatewayRefund]:
        """Every refund of the session's captured payment (none while it is unpaid)."""
        payment = self.retrieve_payment(gateway_ref)
        if payment.charge_ref is None:
            return []
        return [mapping.refund_from(r) for r in self._refunds_of(payment.charge_ref)]

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> GatewayEvent:
        return webhooks.parse(body, headers, self.webhook_secret)
