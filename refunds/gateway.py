"""The one way refunds reach a payment gateway: the plugin of the gateway that took the payment
(`payments.gateways.for_payment`). Refunds speak its contract only — `refund`,
`retrieve_refund`, `list_refunds`, `check_amount`, and how long its idempotency keys may be
trusted (`key_memory`) — so no gateway's own rules live in refunds."""

from __future__ import annotations

from datetime import timedelta

from payments.gateways import for_payment, key_memory
from payments.gateways.base import (
    GatewayPayment,
    GatewayPlugin,
    GatewayRefund,
    GatewayRefused,
    GatewayUnavailable,
)
from payments.models import Payment

__all__ = [
    "GatewayPayment",
    "GatewayRefund",
    "GatewayRefused",
    "GatewayUnavailable",
    "gateway_for",
    "trusted_key_age",
]


def gateway_for(payment: Payment) -> GatewayPlugin:
    """The gateway plugin that took `payment`, the one its refunds are sent through."""
    return for_payment(payment)


def trusted_key_age(plugin: GatewayPlugin) -> timedelta | None:
    """How long a refund's idempotency key gives back the first refund; None: never (the
    gateway keeps no keys, so an earlier attempt is looked for by our metadata)."""
    return key_memory(plugin)
