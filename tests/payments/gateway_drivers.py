"""The two gateways as the end-to-end tests drive them: the payer's side, the gateway's own
records (to count what was made there), an outage, and a forged delivery. Stripe is localstripe,
Thawani our test server (tests/thawani_server.py); our code talks to each over HTTP unchanged."""

from __future__ import annotations

import contextlib
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from app.catalogue.seed import seed_catalogue
from app.extensions import db
from tests.conftest import clear_tables
from tests.payments.conftest import WEBHOOK_SECRET as STRIPE_SECRET
from tests.payments.helpers import event, signed
from tests.payments.thawani.conftest import Receiver

# The headers a gateway signs a delivery with, kept when a captured delivery is replayed.
SIGNED_HEADERS = {"content-type", "stripe-signature", "thawani-signature", "thawani-timestamp"}
CLOSED = "http://127.0.0.1:9/closed"  # nobody listens: a webhook sent there is missed
SECOND_APPROVAL_DEFAULT = 100_000  # REFUND_SECOND_APPROVAL_BAISA, restored after each test


class StripeDriver:
    name = "stripe"
    success_event = "payment_intent.succeeded"

    def __init__(self, localstripe) -> None:
        self.localstripe = localstripe

    def webhooks_to(self, url: str) -> None:
        self.localstripe.deliver_webhooks_to(url)

    def pay(self, answer: dict) -> None:
        assert self.localstripe.pay(answer["gateway_intent_id"]).status == "succeeded"

    def made_for(self, reference: str) -> int:
        """How many PaymentIntents Stripe holds for our payment reference."""
        listed = self.localstripe.client().v1.payment_intents.list(params={"limit": 100})
        return sum(
            1
            for i in listed.data
            if (i.to_dict().get("metadata") or {}).get("payment") == reference
        )

    def refunds(self, answer: dict) -> list[int]:
        listed = self.localstripe.client().v1.refunds.list(
            params={"payment_intent": answer["gateway_intent_id"], "limit": 100}
        )
        return [r.amount for r in listed.data]

    def status_at_gateway(self, answer: dict) -> str:
        return (
            self.localstripe.client()
            .v1.payment_intents.retrieve(answer["gateway_intent_id"])
            .status
        )

    def down(self) -> None:
        self.localstripe.stop()

    def up(self) -> None:
        self.localstripe.start()

    def forged(self, answer: dict, signature: str) -> tuple[bytes, dict[str, str]]:
        """A success event for the payment, signed with the wrong secret or not at all."""
        body = json.dumps(
            event("payment_intent.succeeded", answer["gateway_intent_id"], 3000)
        ).encode()
        headers = {"Content-Type": "application/json"}
        if signature == "wrong secret":
            headers["Stripe-Signature"] = signed(body, secret=STRIPE_SECRET + "x")
        return body, headers

    @staticmethod
    def kind(body: bytes) -> str:
        return json.loads(body)["type"]


class ThawaniDriver:
    name = "thawani"
    success_event = "payment.succeeded"

    def __init__(self, server) -> None:
        self.server = server

    def webhooks_to(self, url: str) -> None:
        self.server.webhook_url = url

    def pay(self, answer: dict) -> None:
        """The payer on Thawani's hosted page, reached by the redirect_url we answered."""
        page = requests.get(answer["redirect_url"], timeout=10)
        assert page.status_code == 200 and "Thawani" in page.text
        paid = requests.post(
            answer["redirect_url"], data={"card": "success"}, allow_redirects=False, timeout=10
        )
        assert paid.status_code == 303
        assert paid.headers["Location"] == (
            f"http://127.0.0.1:5000/payments/{answer['reference']}/done"
        )

    def made_for(self, reference: str) -> int:
        return len(self.server.sessions_for(reference))

    def refunds(self, answer: dict) -> list[int]:
        paid = {
            p["payment_id"]
            for p in self.server.payments.values()
            if p["session_id"] == answer["gateway_intent_id"]
        }
        return [r["amount"] for r in self.server.refunds.values() if r["payment_id"] in paid]

    def status_at_gateway(self, answer: dict) -> str:
        return self.server.sessions[answer["gateway_intent_id"]]["payment_status"]

    def down(self) -> None:
        self.server.set_outage("refuse")

    def up(self) -> None:
        self.server.set_outage(None)

    def forged(self, answer: dict, signature: str) -> tuple[bytes, dict[str, str]]:
        session = dict(self.server.sessions[answer["gateway_intent_id"]], payment_status="paid")
        body = json.dumps({"event_type": "checkout.completed", "data": session}).encode()
        if signature == "wrong secret":
            return body, self.server.signed(body, secret="thawani_whsec_not_ours")
        return body, {"Content-Type": "application/json"}

    @staticmethod
    def kind(body: bytes) -> str:
        return json.loads(body)["event_type"]


class Capture(Receiver):
    """Takes a gateway's real deliveries instead of our API, to replay them as a test likes."""

    def kinds_of(self, driver) -> list[str]:
        return [driver.kind(body) for body, _ in self.received]

    def wait_for(self, driver, kind: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while kind not in self.kinds_of(driver):
            assert time.monotonic() < deadline, f"no {kind}: {self.kinds_of(driver)}"
            time.sleep(0.1)

    def replay(self, url: str, copies: int, seed: int) -> list[int]:
        """Every delivery `copies` times, shuffled, sent at once; the statuses we answered."""
        deliveries = [
            (body, {k: v for k, v in headers.items() if k.lower() in SIGNED_HEADERS})
            for body, headers in self.received
            for _ in range(copies)
        ]
        random.Random(seed).shuffle(deliveries)
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = pool.map(
                lambda d: requests.post(url, data=d[0], headers=d[1], timeout=30).status_code,
                deliveries,
            )
            return list(answers)

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Gateway:
    app: object
    driver: StripeDriver | ThawaniDriver

    @property
    def name(self) -> str:
        return self.driver.name

    @property
    def webhook(self) -> str:
        return f"{self.app.config['LIVE_URL']}/api/v1/payments/{self.name}/webhook"

    def start(self, client, headers, application):
        return client.post(
            f"/api/v1/applications/{application['id']}/payment",
            json={"gateway": self.name},
            headers={**headers, "Accept-Language": "en"},
        )

    def drain(self) -> None:
        assert self.app.extensions["jobs"].drain(30)


@contextlib.contextmanager
def paying_through(name, app, localstripe, thawani_server):
    """The app with its catalogue, the gateway's webhooks sent to us; emptied afterwards."""
    thawani_server.reset()
    driver = StripeDriver(localstripe) if name == "stripe" else ThawaniDriver(thawani_server)
    with app.app_context():
        seed_catalogue()
        db.session.commit()
        db.session.remove()
    gateway = Gateway(app, driver)
    driver.webhooks_to(gateway.webhook)
    try:
        yield gateway
    finally:
        app.extensions["jobs"].drain(30)
        app.config["REFUND_SECOND_APPROVAL_BAISA"] = SECOND_APPROVAL_DEFAULT
        localstripe.deliver_webhooks_to(CLOSED)
        thawani_server.reset()
        clear_tables(app)
