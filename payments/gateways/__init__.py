"""The payment gateways: a registry of plugins by name, and which ones an authority offers.

A plugin package (`payments.gateways.<name>`) registers a factory with `register(name, make)`;
`make(config)` builds the plugin from the app's configuration, each time it is asked for, so a
changed setting (a test pointing Stripe at another address) takes effect at once.

Configuration (`app/config.py`): `PAYMENT_GATEWAYS` lists the gateways offered, comma-separated,
the first the default (`"stripe"`); `PAYMENT_GATEWAYS_BY_AUTHORITY` overrides it per authority,
`"MCT=thawani,stripe;NBG=stripe"` (authority codes, `;` between authorities).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from flask import Flask, current_app

from payments.gateways.base import GatewayPlugin

# The plugin packages, imported once on first use. A new gateway adds its package here.
PLUGIN_MODULES = ("payments.gateways.stripe", "payments.gateways.thawani")
# An idempotency key is trusted only this long before the gateway's own window closes: a call
# made just inside the window may reach the gateway just outside it. The one safety margin of
# every key lifetime (refunds: Stripe's 24 h → 23 h).
KEY_WINDOW_MARGIN = timedelta(hours=1)

Factory = Callable[[Mapping[str, Any]], GatewayPlugin]
_factories: dict[str, Factory] = {}
_loaded = False


def register(name: str, make: Factory) -> None:
    """Register the plugin called `name` (what Payment.gateway stores)."""
    _factories[name] = make


def names() -> list[str]:
    """Every registered gateway, in registration order."""
    _load()
    return list(_factories)


def plugin(name: str) -> GatewayPlugin:
    """The plugin called `name`, built from the current configuration; KeyError when none is."""
    _load()
    return _factories[name](current_app.config)


def for_payment(payment: Any) -> GatewayPlugin:
    """The plugin of the gateway a payment was made through (`payment.gateway`)."""
    return plugin(payment.gateway)


def offered(authority_code: str) -> list[str]:
    """The gateways this authority offers, its default first."""
    config = current_app.config
    overrides = _overrides(config.get("PAYMENT_GATEWAYS_BY_AUTHORITY", ""))
    return overrides.get(authority_code.upper()) or _names(config["PAYMENT_GATEWAYS"])


def default_for(authority_code: str) -> str:
    return offered(authority_code)[0]


def key_memory(gateway: GatewayPlugin) -> timedelta | None:
    """How long a key used with this gateway may be trusted to give back the first object (its
    window less the margin); None when the gateway keeps no keys."""
    window = gateway.idempotency_window
    return None if window is None else window - KEY_WINDOW_MARGIN


def client_key(gateway: GatewayPlugin) -> str | None:
    """The key the client needs to talk to the gateway itself (optional attribute)."""
    return getattr(gateway, "publishable_key", None)


def amount_problem(authority_code: str, amount_baisa: int) -> str | None:
    """Why a fee cannot be charged through some gateway this authority offers, or None."""
    for name in offered(authority_code):
        problem = plugin(name).check_amount(amount_baisa)
        if problem is not None:
            return problem
    return None


def init_app(app: Flask) -> None:
    """Check the configuration names registered gateways only, and that each one offered can be
    built from its settings (a typo or an empty key fails at start, not at the first payment),
    and give the catalogue its fee check."""
    _load()
    configured = {*_names(app.config["PAYMENT_GATEWAYS"])}
    for listed in _overrides(app.config.get("PAYMENT_GATEWAYS_BY_AUTHORITY", "")).values():
        configured.update(listed)
    unknown = configured - set(_factories)
    if unknown or not _names(app.config["PAYMENT_GATEWAYS"]):
        raise RuntimeError(
            f"PAYMENT_GATEWAYS names unknown gateways {sorted(unknown)} "
            f"(known: {sorted(_factories)})"
        )
    for name in configured:
        _factories[name](app.config)  # raises when its settings are missing
    app.extensions["fee_problem"] = amount_problem


def _names(value: str) -> list[str]:
    return [name.strip().lower() for name in value.split(",") if name.strip()]


def _overrides(value: str) -> dict[str, list[str]]:
    overrides = {}
    for part in value.split(";"):
        code, _, listed = part.partition("=")
        if code.strip() and _names(listed):
            overrides[code.strip().upper()] = _names(listed)
    return overrides


def _load() -> None:
    global _loaded
    if not _loaded:
        for module in PLUGIN_MODULES:
            importlib.import_module(module)
        _loaded = True
