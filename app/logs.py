"""Structured JSON logs with a request id; secrets never reach them.

Every record carries `request_id`. A filter masks what must never be written: passwords, tokens,
civil IDs and card numbers, whether in the message or in `extra` fields.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

SENSITIVE_KEYS = re.compile(
    r"pass(word)?|token|secret|authorization|civil_?id|card|cvc|pan|iban|cookie", re.IGNORECASE
)
PATTERNS = (
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), "[jwt]"),
    (re.compile(r"(?i)bearer\s+[\w.\-~+/]+=*"), "Bearer [token]"),
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[card]"),
    (re.compile(r"\b\d{6,9}\b"), "[number]"),
)
REQUEST_ID = re.compile(r"^[\w.\-]{1,64}$")
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
}


def mask_text(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = ()
        for key, value in list(record.__dict__.items()):
            if key in _RESERVED:
                continue
            if SENSITIVE_KEYS.search(key):
                record.__dict__[key] = "[masked]"
            elif isinstance(value, str):
                record.__dict__[key] = mask_text(value)
        return True


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            record.request_id = g.get("request_id")
        except RuntimeError:  # outside a request or app context
            record.request_id = getattr(record, "request_id", None)
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (gunicorn and test runners replace it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(app: Flask) -> None:
    handler = StderrHandler()
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s", rename_fields={"levelname": "level"}
        )
    )
    handler.addFilter(RequestIdFilter())
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if not getattr(h, "_baladiya", False)]
    handler._baladiya = True
    root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    app.logger.handlers = []
    app.logger.propagate = True
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    @app.before_request
    def assign_request_id() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        user = g.get("user")
        app.logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(
                    (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1
                ),
                "user_id": user.id if user is not None else None,
            },
        )
        return response
