"""Fee payments through gateway plugins (Stripe PaymentIntents, Thawani hosted checkout),
confirmed exactly once, reconciled."""
