from __future__ import annotations

from contextlib import contextmanager

import pytest

from tests.mailservers import SmsGateway, SmtpServer


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sms():
    gateway = SmsGateway()
    yield gateway
    gateway.stop()


def delivery_config(smtp, sms) -> dict:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp.port,
        "MAIL_FROM": "Baladiya <no-reply@baladiya.om>",
        "SMS_BACKEND": "http",
        "SMS_GATEWAY_URL": sms.url,
        "SMS_GATEWAY_USERNAME": "baladiya",
        "SMS_GATEWAY_PASSWORD": "gateway-secret",
        "SMS_SENDER_ID": "BALADIYA",
    }


@contextmanager
def sending(app):
    """For a block: `app` delivers through a real SMTP server and SMS gateway, given as (smtp,
    sms); both stop and the configuration is restored after it."""
    smtp, sms = SmtpServer(), SmsGateway()
    smtp.start()
    saved = {key: app.config[key] for key in delivery_config(smtp, sms)}
    app.config.update(delivery_config(smtp, sms))
    try:
        yield smtp, sms
    finally:
        app.config.update(saved)
        smtp.stop()
        sms.stop()


@pytest.fixture
def outbox_app(app, smtp, sms):
    """The app, sending through the SMTP server and SMS gateway started for this test."""
    saved = {key: app.config[key] for key in delivery_config(smtp, sms)}
    app.config.update(delivery_config(smtp, sms))
    yield app
    app.config.update(saved)
