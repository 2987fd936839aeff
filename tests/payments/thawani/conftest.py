"""The Thawani test server (tests/thawani_server.py), started once, emptied before each test, and
the plugin configured against it."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.config import from_environment
from payments.gateways.thawani import ThawaniGateway
from tests.thawani_server import WEBHOOK_SECRET, ThawaniServer


@pytest.fixture(scope="session")
def thawani_running():
    server = ThawaniServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def thawani(thawani_running):
    thawani_running.reset()
    yield thawani_running
    thawani_running.reset()


@pytest.fixture
def config(thawani) -> dict:
    values = from_environment({})
    values.update(
        THAWANI_API_BASE=thawani.api_base,
        THAWANI_CHECKOUT_BASE=thawani.url,
        THAWANI_WEBHOOK_SECRET=WEBHOOK_SECRET,
        THAWANI_TIMEOUT=1,
    )
    return values


@pytest.fixture
def gateway(config) -> ThawaniGateway:
    return ThawaniGateway(config)


class Receiver:
    """Our side of a webhook: records every delivery's raw body and headers, answers 200."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, dict[str, str]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((body, dict(self.headers.items())))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def kinds(self) -> list[str]:
        return [json.loads(body)["event_type"] for body, _ in self.received]


@pytest.fixture
def receiver(thawani):
    server = Receiver()
    thawani.webhook_url = server.url
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
