"""/readyz with the gateway, the SMTP server and the SMS gateway down: 200 `degraded`, each named;
ready again once they are back; the checks are kept a few seconds, so polling is cheap."""

from __future__ import annotations

import pytest

from app import health
from tests.conftest import build_app
from tests.mailservers import SmsGateway, SmtpServer
from tests.payments.conftest import LocalStripe


@pytest.fixture
def services():
    smtp, sms, gateway = SmtpServer(), SmsGateway(), LocalStripe()
    smtp.start()
    gateway.start()
    yield smtp, sms, gateway
    smtp.stop()
    gateway.stop()


def test_gateway_smtp_and_sms_down_are_degraded_not_unready(tmp_path, services):
    smtp, sms, gateway = services
    app = build_app(
        f"sqlite:///{tmp_path / 'ready.sqlite3'}",
        STRIPE_API_BASE=gateway.url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp.port,
        SMS_BACKEND="http",
        SMS_GATEWAY_URL=sms.url,
    )
    client = app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "gateway": "ok", "smtp": "ok", "sms": "ok"},
    }
    assert len(smtp.messages) == 0  # the SMTP check sends nothing

    smtp.stop()
    sms.stop()
    gateway.stop()
    assert client.get("/readyz").get_json()["status"] == "ready"  # kept for a few seconds
    health._cache.clear()  # those seconds pass
    degraded = client.get("/readyz")
    assert degraded.status_code == 200 and degraded.get_json() == {
        "status": "degraded",
        "checks": {
            "database": "ok",
            "gateway": "unreachable",
            "smtp": "unreachable",
            "sms": "unreachable",
        },
    }

    smtp.start()
    gateway.start()
    health._cache.clear()
    back = client.get("/readyz").get_json()
    assert back["checks"] == {
        "database": "ok",
        "gateway": "ok",
        "smtp": "ok",
        "sms": "unreachable",
    }
