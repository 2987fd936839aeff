"""The one way refunds reach a payment gateway: `gateway_for(payment)`.

Refunds speak the plugin contract of `payments.gateways` (`refund`, `retrieve_refund`,
`list_refunds`, `check_amount`, `idempotency_window`; answers with `refund_ref` and our status
words). Until that registry is merged, the payment's gateway is today's Stripe client
(`payments.gateway.gateway()`), and `_StripeToday` gives it that contract: the attributes the
client lacks (`idempotency_window`, `check_amount`) are Stripe's rules, kept here and nowhere
else in refunds. At merge `gateway_for` becomes `payments.gateways.plugin(payment.gateway)` and
`_StripeToday` goes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from payments.gateway import GatewayRefused, GatewayUnavailable, gateway
from payments.models import Payment

__all__ = ["GatewayRefund", "GatewayRefused", "GatewayUnavailable", "gateway_for"]
# Stripe's refund statuses in our words (GATEWAY.md `RefundStatus`).
_STATUS = {"requires_action": "pending"}


@dataclass(frozen=True)
class GatewayRefund:
    """The gateway's view of one refund, as the plugin contract's `GatewayRefund`."""

    refund_ref: str
    status: str  # pending, succeeded, failed, canceled
    amount_baisa: int
    failure_reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


class _StripeToday:
    name = "stripe"
    currency = "omr"
    # Stripe keeps an idempotency key for 24 hours.
    idempotency_window = dt.timedelta(hours=24)

    def __init__(self) -> None:
        self.client = gateway()

    def check_amount(self, amount_baisa: int) -> str | None:
        """Stripe takes OMR amounts in whole multiples of 10 baisa only."""
        return None if amount_baisa % 10 == 0 else "amount_not_a_multiple_of_10"

    def refund(self, payment, amount_baisa, key, metadata, reason=None) -> GatewayRefund:
        return _ours(self.client.create_refund(payment, amount_baisa, key, metadata))

    def retrieve_refund(self, refund_ref: str) -> GatewayRefund:
        return _ours(self.client.retrieve_refund(refund_ref))

    def list_refunds(self, gateway_ref: str) -> list[GatewayRefund]:
        return [_ours(found) for found in self.client.list_refunds(gateway_ref)]


def _ours(answer) -> GatewayRefund:
    return GatewayRefund(
        answer.id,
        _STATUS.get(answer.status, answer.status),
        answer.amount,
        answer.failure_reason,
        dict(answer.metadata),
    )


def gateway_for(payment: Payment) -> _StripeToday:
    """The gateway plugin that took `payment`, the one refunds send its refunds through."""
    return _StripeToday()
