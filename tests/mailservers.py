"""A real SMTP server (aiosmtpd) and a local HTTP SMS gateway for the tests to receive on."""

from __future__ import annotations

import base64
import email
import email.policy
import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.servers import free_port

# The test SMTP server's own chatter (addresses included) is not the application's log.
logging.getLogger("mail.log").setLevel(logging.WARNING)


class _Collector:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Receives mail on 127.0.0.1:port; can be stopped and started again on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.collector = _Collector()
        self.controller: Controller | None = None

    @property
    def messages(self):
        return self.collector.messages

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class SmsGateway:
    """An HTTP server standing in for the SMS operator: records each POST and answers an id."""

    def __init__(self, status: int = 200) -> None:
        self.received: list[dict] = []
        self.authorizations: list[str] = []
        self.status = status
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append(json.loads(body))
                gateway.authorizations.append(self.headers.get("Authorization", ""))
                answer = json.dumps({"id": f"op-{len(gateway.received)}"}).encode()
                self.send_response(gateway.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def credentials(self, index: int = -1) -> str:
        return base64.b64decode(self.authorizations[index].split(" ", 1)[1]).decode()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
