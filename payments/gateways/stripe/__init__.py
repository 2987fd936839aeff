"""Stripe (PaymentIntents, through the official SDK's `StripeClient`): pointed at localstripe in
development and tests. Everything Stripe-specific lives in this package."""

from __future__ import annotations

from payments.gateways import register
from payments.gateways.stripe.plugin import StripePlugin

register(StripePlugin.name, StripePlugin)
