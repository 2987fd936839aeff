"""Structured JSON logs with a request id; secrets never reach them.

Every record carries `request_id`. What must never be written — passwords, tokens, civil IDs and
card numbers — is masked in the message, in `extra` fields (nested ones too) and in tracebacks:
an exception's text often holds the values that failed (a driver error quotes its row, a
validation error its input). The filter masks what is already text; the formatter masks the
traceback and stack it formats. SQL parameters are also kept out of SQLAlchemy's errors in the
first place (`hide_parameters`, see `app.config`).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from typing import Any

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

SENSITIVE_KEYS = re.compile(
    r"pass(word)?|token|secret|authorization|civil_?id|card|cvc|pan|iban|cookie", re.IGNORECASE
)
# `key=value`, `key: value`, `'key': 'value'` and `"key": "value"` where the key names a secret
# (as in a repr of a dict of parameters, a query string or a header line in an error's text).
SENSITIVE_PAIR = re.compile(
    r"""(?ix)
    (["']?[\w-]*(?:pass(?:word)?|token|secret|authorization|civil_?id|card|cvc|iban|cookie)
     [\w-]*["']?\s*[:=]\s*)
    (?:"[^"]*"|'[^']*'|(?:bearer\s+)?[^\s,;&)}\]]+)
    """
)
PATTERNS = (
    (SENSITIVE_PAIR, r"\1[masked]"),
    (re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+"), "[jwt]"),
    (re.compile(r"(?i)bearer\s+[\w.\-~+/]+=*"), "Bearer [token]"),
    # Digits standing alone, not a group of a longer token: a session id (a UUID) may open with
    # eight digits, and it is not a phone number.
    (re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])"), "[card]"),
    (re.compile(r"(?<![\w-])\d{6,9}(?![\w-])"), "[number]"),
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


def mask_value(value: Any) -> Any:
    """`value` with secrets masked: text by pattern, mappings also by key, at any depth."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {
            k: "[masked]" if SENSITIVE_KEYS.search(str(k)) else mask_value(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(v) for v in value]
    return value


class MaskingFilter(logging.Filter):
    """Masks the message, the `extra` fields and any traceback text already on the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_text(record.getMessage())
        record.args = ()
        if record.exc_text:  # cached by a handler that formatted the record before ours
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key in _RESERVED:
                continue
            if SENSITIVE_KEYS.search(key):
                record.__dict__[key] = "[masked]"
            else:
                record.__dict__[key] = mask_value(value)
        return True


class MaskingJsonFormatter(JsonFormatter):
    """JSON lines whose traceback (`exc_info`) and stack (`stack_info`) are masked: the filter
    cannot reach them, because they are formatted from the live exception here."""

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return mask_text(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return mask_text(super().formatStack(stack_info))


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
        MaskingJsonFormatter(
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
        given = request.environ.get("HTTP_X_REQUEST_ID", "")  # request.headers["X-Request-ID"]
        g.request_id = given if REQUEST_ID.match(given) else os.urandom(16).hex()
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if not app.logger.isEnabledFor(logging.INFO):
            return response  # not built for nothing: this runs on every request
        app.logger.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(
                    (time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1
                ),
                # The id kept at sign-in: the user row itself is expired by the commit, and
                # reading it here would load it again (one more SELECT per request).
                "user_id": g.get("user_id"),
            },
        )
        return response
