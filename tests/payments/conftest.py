"""localstripe (a third-party Stripe emulator) started by the suite, and the app served over real
HTTP so that localstripe can deliver its signed webhooks to it."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import requests
import stripe
from werkzeug.serving import make_server

from tests.servers import _wait_for_port, free_port

WEBHOOK_SECRET = "whsec_test_baladiya_payments"
LAUNCHER = Path(__file__).with_name("run_localstripe.py")


class LocalStripe:
    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed with the process
            prefix="localstripe-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(
            [sys.executable, str(LAUNCHER), "--port", str(self.port)],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(self.port, self.process, "localstripe")
        except RuntimeError as error:
            raise RuntimeError(f"{error}: {Path(self.log.name).read_text()[-2000:]}") from error

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def deliver_webhooks_to(self, url: str) -> None:
        response = requests.post(
            f"{self.url}/_config/webhooks/baladiya",
            data={"url": url, "secret": WEBHOOK_SECRET},
            timeout=5,
        )
        response.raise_for_status()

    def client(self) -> stripe.StripeClient:
        """Stands in for the front end, which confirms the payment with Stripe."""
        return stripe.StripeClient(
            "sk_test_baladiya",
            base_addresses={"api": self.url},
            max_network_retries=0,
            http_client=stripe.RequestsClient(timeout=10),
        )

    def pay(self, intent_id: str, card: str = "4242424242424242"):
        client = self.client()
        method = client.v1.payment_methods.create(
            params={
                "type": "card",
                "card": {"number": card, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
            }
        )
        client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
        return client.v1.payment_intents.confirm(intent_id)


@pytest.fixture(scope="session")
def localstripe():
    server = LocalStripe()
    for attempt in range(3):
        try:
            server.start()
            break
        except RuntimeError:
            # The free port was taken between choosing it and binding it: take another.
            if attempt == 2:
                raise
            server.port = free_port()
    yield server
    server.stop()


class LiveServer:
    def __init__(self, app) -> None:
        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


def configure(app, localstripe) -> dict:
    saved = {
        k: app.config[k] for k in ("STRIPE_API_BASE", "STRIPE_WEBHOOK_SECRET", "STRIPE_TIMEOUT")
    }
    app.config.update(
        STRIPE_API_BASE=localstripe.url, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_TIMEOUT=3
    )
    return saved


@pytest.fixture
def stripe_app(app, localstripe, tmp_path):
    """The app paying through localstripe, documents in a temp folder."""
    saved = configure(app, localstripe)
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")
    yield app
    app.config.update(saved)


@pytest.fixture
def live(stripe_app, localstripe):
    server = LiveServer(stripe_app)
    localstripe.deliver_webhooks_to(f"{server.url}/api/v1/payments/stripe/webhook")
    yield server
    server.stop()


def wait_for(check, timeout: float = 20.0, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(step)
