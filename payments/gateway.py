"""Transitional: the refund flow's old view of the gateway, kept only until `refunds/` (being
rewritten on its own branch) calls `payments.gateways.for_payment(payment)`; then this module
goes. It adapts the Stripe plugin to the old method names and answers; nothing else uses it."""

from __future__ import annotations

from dataclasses import dataclass, field

from payments.gateways import plugin
from payments.gateways.base import GatewayRefused, GatewayUnavailable

__all__ = ["GatewayRefund", "GatewayRefused", "GatewayUnavailable", "gateway"]


@dataclass(frozen=True)
class GatewayRefund:
    id: str
    status: str
    amount: int
    failure_reason: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


def _old(refund) -> GatewayRefund:
    return GatewayRefund(
        refund.refund_ref,
        refund.status,
        refund.amount_baisa,
        refund.failure_reason,
        refund.metadata,
    )


class _RefundCalls:
    def __init__(self) -> None:
        self.plugin = plugin("stripe")  # every payment is Stripe's until refunds looks it up

    def create_refund(self, intent_id, amount, idempotency_key, metadata) -> GatewayRefund:
        return _old(self.plugin.refund(intent_id, amount, idempotency_key, metadata, ""))

    def retrieve_refund(self, refund_id) -> GatewayRefund:
        return _old(self.plugin.retrieve_refund(refund_id))

    def list_refunds(self, intent_id) -> list[GatewayRefund]:
        return [_old(r) for r in self.plugin.list_refunds(intent_id)]


def gateway() -> _RefundCalls:
    return _RefundCalls()
