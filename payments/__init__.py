"""Fee payments through Stripe PaymentIntents, confirmed exactly once, reconciled."""
