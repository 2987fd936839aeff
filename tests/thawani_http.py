"""The HTTP face of the Thawani test server (tests/thawani_server.py): the API under /api/v1, as
Thawani answers it (envelope, key check, 411 for a body-less POST, the outage switches, a lost
answer), and the hosted payment page /pay/{session_id}?key={publishable key}."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

SECRET_KEY = "thawani_test_baladiya"
PUBLISHABLE_KEY = "thawani_pk_test_baladiya"


class Refusal(Exception):
    """Thawani's answer to a request it refuses: HTTP status, result code, description."""

    def __init__(self, status: int, code: int, description: str) -> None:
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def handler_for(server):
    """A request handler class bound to one `ThawaniServer`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def log_message(self, *args) -> None:  # quiet: tests read `server.seen`
            pass

        def _send(self, status: int, payload, content_type: str = "application/json") -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes | None:
            if "Content-Length" not in self.headers:
                return None
            return self.rfile.read(int(self.headers["Content-Length"]))

        def _api(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path.removeprefix("/api/v1")
            server.seen.append((self.command, path))
            if server.outage == "hang":
                server._release.wait(timeout=30)
            if server.outage in ("5xx", "hang"):
                return self._send(503, {"success": False, "code": 5000, "description": "Down"})
            if self.headers.get("thawani-api-key") != SECRET_KEY:
                return self._send(401, {"success": False, "code": 4001, "description": "Bad key"})
            raw = self._body()
            if self.command == "POST" and raw is None:
                return self._send(411, {"success": False, "code": 4000, "description": "Length"})
            try:
                body = json.loads(raw) if raw else {}
                status, payload = server.answer(self.command, path, parse_qs(parts.query), body)
            except Refusal as refusal:
                status = refusal.status
                payload = {"success": False, "code": refusal.code, "description": str(refusal)}
            except (ValueError, KeyError) as error:
                status, payload = 400, {"success": False, "code": 4000, "description": str(error)}
            if (self.command, path) in server._lost:
                server._lost.discard((self.command, path))
                self.close_connection = True
                return None
            return self._send(status, payload)

        def _page(self) -> None:
            parts = urlsplit(self.path)
            session_id = parts.path.rsplit("/", 1)[-1]
            session = server.sessions.get(session_id)
            if session is None:
                return self._send(404, b"no such session", "text/plain")
            if self.command == "GET":
                if parse_qs(parts.query).get("key") != [PUBLISHABLE_KEY]:
                    return self._send(401, b"bad publishable key", "text/plain")
                page = (
                    f"<html><body><h1>Thawani</h1><p>{session['total_amount']} baisa</p>"
                    f'<form method="post"><button name="card" value="success">Pay</button>'
                    f'<button name="card" value="decline">Decline</button></form></body></html>'
                )
                return self._send(200, page.encode(), "text/html")
            card = parse_qs((self._body() or b"").decode()).get("card", ["success"])[0]
            try:
                server.pay(session_id, card)
            except Refusal as refusal:
                return self._send(400, str(refusal).encode(), "text/plain")
            target = session["success_url"] if card == "success" else self.path
            self.send_response(303)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None

        def do_GET(self) -> None:
            self._page() if self.path.startswith("/pay/") else self._api()

        def do_POST(self) -> None:
            self._page() if self.path.startswith("/pay/") else self._api()

    return Handler
