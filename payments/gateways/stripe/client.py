"""Outgoing calls to Stripe: one `StripeClient`, one `_call` that maps its errors onto ours and
refuses to run inside a database transaction."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import stripe

from app.uow import assert_no_transaction
from payments.gateways.base import GatewayRefused, GatewayUnavailable

# Stripe's answers that mean "not now": an idempotent request with this key still in progress or
# an object locked (409), too many requests or a lock time-out (429), its own errors (5xx).
TRANSIENT_STATUSES = frozenset({409, 429})


class StripeApi:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self.client = stripe.StripeClient(
            config["STRIPE_API_KEY"],
            base_addresses={"api": config["STRIPE_API_BASE"]},
            max_network_retries=0,  # we retry ourselves, with the same idempotency key
            http_client=stripe.RequestsClient(timeout=config.get("STRIPE_TIMEOUT", 10)),
        )
        self.v1 = self.client.v1

    def call(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Make one call; GatewayUnavailable (unreachable, transient) or GatewayRefused."""
        assert_no_transaction("a Stripe call")
        try:
            return method(*args, **kwargs)
        except stripe.APIConnectionError as error:
            raise GatewayUnavailable(str(error)) from error
        except stripe.StripeError as error:
            status = getattr(error, "http_status", None)
            if status is not None and (status >= 500 or status in TRANSIENT_STATUSES):
                raise GatewayUnavailable(str(error)) from error
            raise GatewayRefused(str(error), status) from error


def as_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
