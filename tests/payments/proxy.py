"""A recording HTTP proxy in front of localstripe: it shows what our gateway code sends (headers,
form body), can lose the answer to a request that the emulator did carry out (what a time-out
after Stripe made the object looks like from our side), and can answer a call itself the way Stripe
would where localstripe cannot (an error status, a refund that failed). Our gateway code runs
unchanged, over HTTP, in every case."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import requests


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


class RecordingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.seen: list[Seen] = []
        self._lose: set[tuple[str, str]] = set()
        self._answers: dict[tuple[str, str | None], tuple[int, bytes]] = {}
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet: the test reads `seen`
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                proxy.seen.append(
                    Seen(
                        self.command,
                        path,
                        {k.lower(): v for k, v in self.headers.items()},
                        dict(parse_qsl(body.decode())),
                    )
                )
                own = proxy._answers.get((self.command, path)) or proxy._answers.get(
                    (self.command, None)
                )
                if own is not None:
                    self._reply(*own, "application/json")
                    return
                answer = requests.request(
                    self.command,
                    proxy.upstream + self.path,
                    data=body,
                    headers={k: v for k, v in self.headers.items() if k.lower() not in ("host",)},
                    timeout=10,
                )
                if (self.command, path) in proxy._lose:
                    proxy._lose.discard((self.command, path))
                    self.close_connection = True  # done upstream; the caller never hears of it
                    return
                self._reply(answer.status_code, answer.content, answer.headers["Content-Type"])

            def _reply(self, status: int, content: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def lose_next_answer(self, method: str, path: str) -> None:
        self._lose.add((method, path))

    def answer(self, method: str, path: str | None, status: int, body: dict) -> None:
        """Answer `method path` (any path when None) with `body` instead of forwarding it."""
        self._answers[(method, path)] = (status, json.dumps(body).encode())

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
