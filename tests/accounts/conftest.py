"""The outbox fixtures (a real SMTP server and SMS gateway) for the password-reset tests."""

from tests.notifications.conftest import outbox_app, sms, smtp  # noqa: F401 - fixtures
