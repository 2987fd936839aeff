from tests.payments.conftest import live, localstripe, stripe_app  # noqa: F401 - shared fixtures
