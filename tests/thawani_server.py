"""A small HTTP server of ours that answers as Thawani's Checkout API is documented to (see
`payments.gateways.thawani.CONFIRMED` and `ASSUMPTIONS` for what that is and how sure we are).

Thawani cannot run here; this is the one place a fake is right. It is written from the
documentation, not from our client: it signs webhooks itself and imports nothing from `payments`.

State is kept in plain dicts a test can read (`sessions`, `payments`, `refunds`, `seen`).
Switches: `set_outage("refuse" | "5xx" | "hang" | None)`, `lose_answer(method, path)` (the work
is done, the answer is lost), `hold_webhooks` with `deliver_held(duplicates, shuffle)`.
The payer's side: `pay(session_id, card)` or the `/pay/{id}` page.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import queue
import random
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer

import requests

from tests.thawani_http import Refusal, handler_for

WEBHOOK_SECRET = "thawani_whsec_test"
CAPTURED = "successful"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def envelope(data, code: int = 2000, description: str = "Success") -> dict:
    return {"success": True, "code": code, "description": description, "data": data}


def not_found(what: str) -> Refusal:
    return Refusal(404, 4003, f"No {what} found")


def _validate_session(body: dict) -> None:
    for key in ("client_reference_id", "mode", "products", "success_url", "cancel_url"):
        if not body.get(key):
            raise Refusal(400, 4000, f"{key} is required")
    if body["mode"] != "payment":
        raise Refusal(400, 4000, "mode must be payment")
    products = body["products"]
    if not isinstance(products, list) or not 1 <= len(products) <= 100:
        raise Refusal(400, 4000, "products must hold 1 to 100 items")
    for product in products:
        amount, quantity = product.get("unit_amount"), product.get("quantity")
        if not isinstance(amount, int) or not 1 <= amount <= 5_000_000_000:
            raise Refusal(400, 4000, "unit_amount must be an integer from 1 to 5000000000")
        if not isinstance(quantity, int) or not 1 <= quantity <= 100:
            raise Refusal(400, 4000, "quantity must be from 1 to 100")
        if not 1 <= len(str(product.get("name") or "")) <= 40:
            raise Refusal(400, 4000, "name must be 1 to 40 characters")
    if len(body.get("metadata") or {}) > 10:
        raise Refusal(400, 4000, "metadata is limited to 10 fields")


class ThawaniServer:
    def __init__(self, webhook_secret: str = WEBHOOK_SECRET) -> None:
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.seen: list[tuple[str, str]] = []  # (method, path) of every API request
        self.outage: str | None = None
        self.refund_outcome = CAPTURED  # or "pending": settled later by settle_refund()
        self.webhook_url: str | None = None
        self.hold_webhooks = False
        self.held: list[dict] = []
        self.deliveries: list[tuple[str, int | None]] = []  # (event_type, our answer's status)
        self.lock = threading.RLock()
        self._lost: set[tuple[str, str]] = set()
        self._ids = itertools.count(1001)
        self._release = threading.Event()
        self._outbox: queue.Queue = queue.Queue()
        self._httpd: ThreadingHTTPServer | None = None
        self.port = 0
        threading.Thread(target=self._deliver_forever, daemon=True).start()

    # --- lifecycle -------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        return f"{self.url}/api/v1"

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler_for(self))
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._release.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def set_outage(self, mode: str | None) -> None:
        """ "refuse": nothing listens on the port; "5xx": every API call is answered 503;
        "hang": API calls are answered only after the client has given up; None: all well."""
        if self.outage == "refuse" and mode != "refuse":
            self.start()
        self.outage = mode
        if mode == "hang":
            self._release.clear()
        else:
            self._release.set()
        if mode == "refuse":
            self.stop()

    def lose_answer(self, method: str, path: str) -> None:
        """The next `method path` request is carried out, then its answer is never sent."""
        self._lost.add((method, path))

    def reset(self) -> None:
        with self.lock:
            self.sessions.clear()
            self.payments.clear()
            self.refunds.clear()
            self.seen.clear()
            self.held.clear()
            self.deliveries.clear()
            self._lost.clear()
            self.refund_outcome, self.hold_webhooks, self.webhook_url = CAPTURED, False, None
        self.set_outage(None)

    def _next(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids)}"

    # --- the payer and the back office -----------------------------------------------------
    def sessions_for(self, reference: str) -> list[dict]:
        return [s for s in self.sessions.values() if s["client_reference_id"] == reference]

    def pay(self, session_id: str, card: str = "success") -> dict:
        """The payer on the hosted page: "success" captures, "decline" fails the attempt (the
        session stays payable). Returns the payment attempt."""
        with self.lock:
            session = self.sessions[session_id]
            if session["payment_status"] != "unpaid" or self._expired(session):
                raise Refusal(400, 4000, "This session cannot be paid")
            attempt = {
                "payment_id": self._next("pay_"),
                "checkout_invoice": session["invoice"],
                "session_id": session_id,
                "client_reference_id": session["client_reference_id"],
                "amount": session["total_amount"],
                "status": CAPTURED if card == "success" else "failed",
                "masked_card": "424242******4242" if card == "success" else "400000******0002",
                "card_type": "Visa",
                "reason": None if card == "success" else "Card declined by issuer",
                "created_at": iso(datetime.now(UTC)),
            }
            self.payments[attempt["payment_id"]] = attempt
            if card == "success":
                session["payment_status"] = "paid"
                self._emit("checkout.completed", dict(session))
                self._emit("payment.succeeded", dict(attempt))
            else:
                self._emit("payment.failed", dict(attempt))
            return attempt

    def expire(self, session_id: str) -> None:
        self.sessions[session_id]["expire_at"] = iso(datetime.now(UTC) - timedelta(minutes=1))

    def settle_refund(self, refund_id: str, status: str = CAPTURED) -> None:
        with self.lock:
            refund = self.refunds[refund_id]
            refund["status"] = status
            kind = "refund.succeeded" if status == CAPTURED else "refund.failed"
            self._emit(kind, dict(refund))

    def refunded(self, payment_id: str) -> int:
        return sum(
            r["amount"]
            for r in self.refunds.values()
            if r["payment_id"] == payment_id and r["status"] != "failed"
        )

    @staticmethod
    def _expired(session: dict) -> bool:
        expires = datetime.fromisoformat(session["expire_at"].replace("Z", "+00:00"))
        return expires <= datetime.now(UTC)

    # --- webhooks ----------------------------------------------------------------------------
    def signed(
        self, body: bytes, timestamp: str | None = None, secret: str | None = None
    ) -> dict[str, str]:
        """Headers Thawani sends: hex HMAC-SHA256 of `{body}-{timestamp}` with the secret."""
        timestamp = timestamp or str(int(time.time()))
        key = (secret or self.webhook_secret).encode()
        digest = hmac.new(key, body + b"-" + timestamp.encode(), hashlib.sha256).hexdigest()
        return {
            "Content-Type": "application/json",
            "thawani-signature": digest,
            "thawani-timestamp": timestamp,
        }

    def _emit(self, event_type: str, data: dict) -> None:
        event = {"event_type": event_type, "data": data}
        if self.hold_webhooks:
            self.held.append(event)
        elif self.webhook_url:
            self._outbox.put(event)

    def deliver_held(self, duplicates: int = 1, shuffle: bool = False, seed: int = 12) -> int:
        """Send the held events, each `duplicates` times, in a shuffled order on demand."""
        events = [e for e in self.held for _ in range(duplicates)]
        self.held.clear()
        if shuffle:
            random.Random(seed).shuffle(events)
        for event in events:
            self._outbox.put(event)
        return len(events)

    def wait_for_deliveries(self, count: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.deliveries) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.deliveries)} of {count} webhooks delivered")
            time.sleep(0.02)

    def _deliver_forever(self) -> None:
        while True:
            event = self._outbox.get()
            body = json.dumps(event).encode()
            try:
                answer = requests.post(
                    self.webhook_url, data=body, headers=self.signed(body), timeout=10
                )
                status = answer.status_code
            except requests.RequestException:
                status = None
            self.deliveries.append((event["event_type"], status))

    # --- the API -------------------------------------------------------------------------------
    def create_session(self, body: dict) -> dict:
        _validate_session(body)
        now = datetime.now(UTC)
        minutes = int(body.get("expire_in_minutes") or 1440)
        session = {
            "session_id": self._next("checkout_"),
            "client_reference_id": str(body["client_reference_id"]),
            "customer_id": body.get("customer_id"),
            "products": body["products"],
            "total_amount": sum(p["unit_amount"] * p["quantity"] for p in body["products"]),
            "currency": "OMR",
            "success_url": body["success_url"],
            "cancel_url": body["cancel_url"],
            "payment_status": "unpaid",
            "mode": "payment",
            "invoice": str(next(self._ids) * 7919),
            "metadata": body.get("metadata") or {},
            "created_at": iso(now),
            "expire_at": iso(now + timedelta(minutes=minutes)),
        }
        self.sessions[session["session_id"]] = session
        self._emit("checkout.created", dict(session))
        return session

    def session(self, session_id: str) -> dict:
        if session_id not in self.sessions:
            raise not_found("checkout session")
        return self.sessions[session_id]

    def by_reference(self, reference: str) -> dict:
        found = self.sessions_for(reference)
        if not found:
            raise not_found("checkout session")
        return found[-1]

    def cancel(self, session_id: str) -> dict:
        session = self.session(session_id)
        if session["payment_status"] == "paid":
            raise Refusal(400, 4000, "A paid session cannot be cancelled")
        session["payment_status"] = "cancelled"
        return session

    def payments_of(self, invoice: str) -> list[dict]:
        found = [p for p in self.payments.values() if p["checkout_invoice"] == invoice]
        if not found:
            raise not_found("payment")
        return found

    def create_refund(self, body: dict) -> dict:
        payment = self.payments.get(str(body.get("payment_id")))
        if payment is None or payment["status"] != CAPTURED:
            raise not_found("payment")
        left = payment["amount"] - self.refunded(payment["payment_id"])
        if left <= 0:
            raise Refusal(400, 4301, "Payment is already refunded")
        amount = body.get("amount", left)
        if not isinstance(amount, int) or amount < 1:
            raise Refusal(400, 4000, "amount must be a positive integer")
        if amount > left:
            raise Refusal(400, 4300, "Refund amount exceeds the amount left to refund")
        refund = {
            "refund_id": self._next("ref_"),
            "payment_id": payment["payment_id"],
            "amount": amount,
            "reason": body.get("reason"),
            "metadata": body.get("metadata") or {},
            "status": self.refund_outcome,
            "created_at": iso(datetime.now(UTC)),
        }
        self.refunds[refund["refund_id"]] = refund
        if refund["status"] == CAPTURED:
            self._emit("refund.succeeded", dict(refund))
        return refund

    def refund(self, refund_id: str) -> dict:
        if refund_id not in self.refunds:
            raise not_found("refund")
        return self.refunds[refund_id]

    def list_refunds(self, query: dict) -> list[dict]:
        skip, limit = int(query.get("skip", ["0"])[0]), int(query.get("limit", ["10"])[0])
        newest_first = list(reversed(self.refunds.values()))
        return newest_first[skip : skip + limit]

    def answer(self, method: str, path: str, query: dict, body: dict) -> tuple[int, dict]:
        routes = (
            ("POST", r"/checkout/session", lambda: self.create_session(body), 2004),
            ("GET", r"/checkout/session/([^/]+)", lambda i: self.session(i), 2000),
            ("GET", r"/checkout/reference/([^/]+)", lambda r: self.by_reference(r), 2000),
            ("POST", r"/checkout/([^/]+)/cancel", lambda i: self.cancel(i), 2000),
            ("GET", r"/payments", lambda: self.payments_of(query["checkout_invoice"][0]), 2000),
            ("POST", r"/refunds", lambda: self.create_refund(body), 2001),
            ("GET", r"/refunds/([^/]+)", lambda i: self.refund(i), 2000),
            ("GET", r"/refunds", lambda: self.list_refunds(query), 2000),
        )
        for verb, pattern, action, code in routes:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                with self.lock:
                    return 200, envelope(action(*match.groups()), code)
        raise Refusal(404, 4004, "Route not found")
