"""The ways a notification leaves us: e-mail over SMTP, SMS through an HTTP gateway.

Each is a small interface with the implementation picked by configuration; the console ones
print to standard output for `make run` (never to the logs, which must not hold addresses or texts).
"""

from __future__ import annotations

import base64
import json
import smtplib
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Protocol

from flask import current_app


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = field(default=())
    # The same for every attempt at one notification, so that a message sent again (see
    # app/notifications/delivery.py) is the same message to the receiving systems.
    message_id: str | None = None


class Mailer(Protocol):
    def send(self, email: Email) -> str:
        """Hand `email` to the mail system; return its Message-ID. Raise on any failure: the
        caller retries. Returning means the system accepted it."""


class SmsGateway(Protocol):
    def send(self, to: str, text: str) -> str:
        """Hand one SMS (of any number of parts) to the operator; return the operator's reference.
        Raise on any failure: the caller retries. Returning means the operator accepted it."""


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = email.message_id or make_msgid(domain="baladiya.om")
    message.set_content(email.text)
    if email.html:
        message.add_alternative(email.html, subtype="html")
    for attachment in email.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


# Inside `connections_kept()`: the open SMTP connections, by server, with when each was last used.
_kept: ContextVar[dict | None] = ContextVar("smtp_kept", default=None)
IDLE_CHECK = 5.0  # seconds: a kept connection idle longer is asked (NOOP) before it is used


@contextmanager
def connections_kept() -> Iterator[None]:
    """For a block that sends several e-mails (a delivery job's rows): one SMTP connection to a
    server for all of them (connect, STARTTLS, login once), closed at the end of the block. A
    conversation that broke is closed and not used again; the next e-mail connects afresh."""
    if _kept.get() is not None:
        yield
        return
    token = _kept.set({})
    try:
        yield
    finally:
        kept = _kept.get()
        _kept.reset(token)
        for smtp, _ in kept.values():
            _close(smtp)


def _close(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class SmtpMailer:
    def __init__(self, config) -> None:
        self.host, self.port = config["SMTP_HOST"], config["SMTP_PORT"]
        self.username, self.password = config["SMTP_USERNAME"], config["SMTP_PASSWORD"]
        self.starttls, self.sender = config["SMTP_STARTTLS"], config["MAIL_FROM"]

    def send(self, email: Email) -> str:
        kept = _kept.get()
        if kept is None:  # one e-mail alone: its own connection, closed after it
            with connections_kept():
                return self.send(email)
        message = build_message(email, self.sender)
        key = (self.host, self.port, self.username)
        smtp = self._kept_connection(kept.pop(key, None))
        try:
            smtp.send_message(message)
        except BaseException:
            smtp.close()  # not used again: where the conversation broke is unknown
            raise
        kept[key] = (smtp, time.monotonic())
        return message["Message-ID"]

    def _kept_connection(self, kept: tuple[smtplib.SMTP, float] | None) -> smtplib.SMTP:
        """The kept connection if it still answers (asked when it was idle a while; nothing has
        been sent on it for this e-mail yet), else a new one."""
        if kept is not None:
            smtp, last_used = kept
            if time.monotonic() - last_used < IDLE_CHECK:
                return smtp
            try:
                if smtp.noop()[0] == 250:
                    return smtp
            except (smtplib.SMTPException, OSError):
                pass
            smtp.close()
        return self._connect()

    def _connect(self) -> smtplib.SMTP:
        smtp = smtplib.SMTP(self.host, self.port, timeout=15)
        try:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


class ConsoleMailer:
    def __init__(self, config) -> None:
        self.sender = config["MAIL_FROM"]

    def send(self, email: Email) -> str:
        message = build_message(email, self.sender)
        sys.stdout.write(f"----- e-mail -----\n{message.as_string()}\n------------------\n")
        return message["Message-ID"]


class HttpSmsGateway:
    """A generic HTTP gateway: POST JSON {"to", "from", "text"} with HTTP basic authentication;
    any 2xx answer is acceptance, its JSON `id` (or `message_id`) the reference."""

    def __init__(self, config) -> None:
        self.url, self.sender = config["SMS_GATEWAY_URL"], config["SMS_SENDER_ID"]
        credentials = f"{config['SMS_GATEWAY_USERNAME']}:{config['SMS_GATEWAY_PASSWORD']}"
        self.authorization = "Basic " + base64.b64encode(credentials.encode()).decode()

    def send(self, to: str, text: str) -> str:
        body = json.dumps(
            {"to": to, "from": self.sender, "text": text}, ensure_ascii=False
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the URL is configuration, http(s) only
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": self.authorization,
            },
        )
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            answer = response.read()
        try:
            parsed = json.loads(answer or b"{}")
        except ValueError:
            parsed = {}
        return str(parsed.get("id") or parsed.get("message_id") or "")


class ConsoleSmsGateway:
    def __init__(self, config) -> None:
        self.sender = config["SMS_SENDER_ID"]

    def send(self, to: str, text: str) -> str:
        sys.stdout.write(f"----- SMS from {self.sender} to {to} -----\n{text}\n")
        return ""


def mailer() -> Mailer:
    config = current_app.config
    return SmtpMailer(config) if config["SMTP_HOST"] else ConsoleMailer(config)


def sms_gateway() -> SmsGateway:
    config = current_app.config
    if config["SMS_BACKEND"] == "http":
        return HttpSmsGateway(config)
    if config["SMS_BACKEND"] == "console":
        return ConsoleSmsGateway(config)
    raise ValueError(f"unknown SMS_BACKEND {config['SMS_BACKEND']!r}")
