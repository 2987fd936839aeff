"""Input checked once, at the edge, before any view sees it.

Every text that enters — JSON strings at any depth and their keys, query-string names and values,
path parameters, the headers we read, multipart field names, values and file names — is refused
(422 `validation_failed`, `errors` naming the field) when it holds a lone surrogate, NUL or
another C0 control (tab and newline are text; a carriage return only as part of CRLF). Where a
name is expected (person and trade names, identifiers, codes, file names, keys) the bidi
controls are refused too: they make `invoice\u202egnp.pdf` show as `invoicefdp.png`, and Arabic
text needs none of them. A JSON body deeper than `MAX_JSON_DEPTH`, or holding NaN, Infinity or
a number outside the finite doubles, is 400 `malformed_json`; an integer beyond ±(2^53 − 1), the
range JSON numbers keep across implementations (RFC 7493, I-JSON), is 422.

Refusing here means nothing half-written can follow: no view, no row, no commit.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from flask.wrappers import Request
from flask_babel import lazy_gettext

from app.errors import MalformedJSON, UnsupportedMediaType, ValidationFailed
from app.i18n import N_
from app.view_marks import view_handler

MAX_JSON_DEPTH = 32
MAX_JSON_INTEGER = 2**53 - 1
# The request headers some code of ours reads; any other header is never looked at.
READ_HEADERS = (
    "Accept-Language",
    "Authorization",
    "Idempotency-Key",
    "Stripe-Signature",
    "thawani-signature",
    "thawani-timestamp",
    "X-Request-ID",
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Embeddings and overrides (U+202A–202E), isolates (U+2066–2069), and the marks LRM, RLM, ALM.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_NAME_KEYS = frozenset(
    {"name", "email", "phone", "iban", "account_holder", "code", "reference", "number", "cr"}
)
_NAME_SUFFIXES = ("_name", "_id", "_number", "_reference", "_code", "_cr", "_email", "_phone")

CONTROL_MESSAGE = N_("Control characters (other than tab and newline) are not allowed.")
SURROGATE_MESSAGE = N_("The text is not valid Unicode (a lone surrogate).")
BIDI_MESSAGE = N_("Direction control characters are not allowed in a name.")
FOLDERS_MESSAGE = N_("The file name must be a plain name, without folders.")
MISSING_FILE = N_("Missing data for required field.")
INTEGER_MESSAGE = N_("The number is out of range.")
TOO_DEEP = lazy_gettext("The JSON body is nested deeper than %(depth)s levels.")
NOT_A_NUMBER = lazy_gettext("NaN and Infinity are not JSON numbers.")


def text_problem(value: str, *, name: bool = False) -> str | None:
    """The message refusing `value`, or None when it may enter. `name`: a name is expected."""
    if _SURROGATE.search(value):
        return SURROGATE_MESSAGE
    if _CONTROL.search(value):
        return CONTROL_MESSAGE
    if name and _BIDI.search(value):
        return BIDI_MESSAGE
    return None


def is_name_key(key: str) -> bool:
    """Whether the field called `key` holds a name or an identifier rather than free text."""
    return key in _NAME_KEYS or key.endswith(_NAME_SUFFIXES)


def shown(text: str) -> str:
    """`text` safe to echo in a problem: each refused character written as `\\uXXXX`."""
    pattern = f"{_SURROGATE.pattern}|{_CONTROL.pattern}|{_BIDI.pattern}"
    return re.sub(pattern, lambda m: "".join(f"\\u{ord(c):04x}" for c in m.group()), text)


class RefusedJSON(ValueError):
    """A body the JSON parser would take but we do not (400 `malformed_json` with `detail`)."""

    def __init__(self, detail, **params) -> None:
        super().__init__(str(detail))
        self.problem = MalformedJSON(detail=detail, params=params or None)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e400 parses as inf
        raise RefusedJSON(NOT_A_NUMBER)
    return number


def _constant(_name: str) -> float:
    raise RefusedJSON(NOT_A_NUMBER)


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, loading no NaN or Infinity and surviving any nesting; dumping a text a
    client can decode even from a row written before the edge checked input."""

    ensure_ascii = False
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_constant", _constant)
        kwargs.setdefault("parse_float", _finite)
        try:
            return json.loads(s, **kwargs)
        except RecursionError:  # deeper than the interpreter's stack, far beyond our cap
            raise RefusedJSON(TOO_DEEP, depth=MAX_JSON_DEPTH) from None

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        text = super().dumps(obj, **kwargs)
        # A lone surrogate cannot be encoded as UTF-8: one bad row must not fail a whole list.
        return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


class CheckedRequest(Request):
    """Turns our refusals of a JSON body into their problems (the parser's own: 400)."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        if isinstance(e, RefusedJSON):
            raise e.problem
        if e is None:
            raise UnsupportedMediaType()
        raise MalformedJSON()


def json_errors(data: Any) -> dict[str, list[str]]:
    """Every refused text, key and integer of a parsed JSON body, by field path (`details.s`).
    Raises the 400 problem when the body is nested deeper than `MAX_JSON_DEPTH`."""
    errors: dict[str, list[str]] = {}
    for field, message in _walk(data, "", False, 1):
        errors.setdefault(field or "body", []).append(message)
    return errors


def _walk(value: Any, path: str, name: bool, depth: int) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        if problem := text_problem(value, name=name):
            yield path, problem
        return
    if isinstance(value, bool) or not isinstance(value, (int, dict, list)):
        return
    if isinstance(value, int):
        if abs(value) > MAX_JSON_INTEGER:
            yield path, INTEGER_MESSAGE
        return
    if depth > MAX_JSON_DEPTH:
        raise MalformedJSON(detail=TOO_DEEP, params={"depth": MAX_JSON_DEPTH})
    if isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}.{index}" if path else str(index), name, depth + 1)
        return
    for key, item in value.items():
        field = f"{path}.{shown(key)}" if path else shown(key)
        if problem := text_problem(key, name=True):
            yield field, problem
        yield from _walk(item, field, is_name_key(key), depth + 1)


def check_request() -> None:
    """Before any view: the path, the query string, the headers we read, then the body."""
    if _may_hold_refused_text():
        errors = _text_errors()
        if errors:
            raise ValidationFailed(errors)
    errors = _body_errors()
    if errors:
        raise ValidationFailed(errors)


# A character that one of the rules refuses somewhere (a direction control only in names).
_SUSPECT = re.compile(f"{_SURROGATE.pattern}|{_CONTROL.pattern}|{_BIDI.pattern}")
# Where the WSGI environ keeps each header we read (what `request.headers.get` looks up).
_HEADER_KEYS = tuple("HTTP_" + header.upper().replace("-", "_") for header in READ_HEADERS)


def _may_hold_refused_text() -> bool:
    """Whether the path parameters, query string or headers hold any character a rule may
    refuse: one search over all of them, so the common request (none) skips the field by field
    look of `_text_errors`. Joined by spaces, which no rule refuses and which end a lone CR's
    line as nothing but CRLF would."""
    environ = request.environ
    texts = [environ.get(key, "") for key in _HEADER_KEYS]
    for value in (request.view_args or {}).values():
        if isinstance(value, str):
            texts.append(value)
    query = request.environ.get("QUERY_STRING", "")
    if query.isascii() and "%" not in query:
        texts.append(query)  # its names and values as they will be read, `+` aside (a space)
    else:
        for key, value in request.args.items(multi=True):
            texts += (key, value)
    return _SUSPECT.search(" ".join(texts)) is not None


def _text_errors() -> dict[str, list[str]]:
    """The refused texts of the path parameters, query string and headers, by field."""
    errors: dict[str, list[str]] = {}

    def add(field: str, value: str, *, name: bool = False) -> None:
        if problem := text_problem(value, name=name):
            errors.setdefault(shown(field), []).append(problem)

    for key, value in (request.view_args or {}).items():
        if isinstance(value, str):
            add(key, value, name=True)
    for key, value in request.args.items(multi=True):
        add(key, key, name=True)
        add(key, value, name=key != "q")  # `q` is search text; other parameters are filters
    for header in READ_HEADERS:
        add(header, request.headers.get(header, ""))
    return errors


def _body_errors() -> dict[str, list[str]]:
    if request.method not in {"POST", "PUT", "PATCH"} or request.endpoint is None:
        return {}
    if not request.content_length and not request.headers.get("Transfer-Encoding"):
        return {}
    if _view_mark("_signed_raw_body"):
        return {}  # read as bytes and authenticated by its signature; see signed_raw_body
    if request.mimetype == "multipart/form-data" and _view_mark("_accepts_files"):
        request.max_content_length = upload_request_limit()
        return form_errors()
    if request.mimetype == "application/x-www-form-urlencoded" and _view_mark("_accepts_form"):
        return form_errors(free_text=True)
    if not request.is_json:
        raise UnsupportedMediaType()
    data = request.get_json()
    return json_errors(data)


def accepts_files(view: Callable) -> Callable:
    """Mark a view that takes a multipart upload; every other view takes JSON only."""
    view._accepts_files = True
    return view


def accepts_form(view: Callable) -> Callable:
    """Mark a view that takes a form-encoded body (a standard that says so: Open311's POST);
    its field names and values are checked as a JSON body's are."""
    view._accepts_form = True
    return view


def uploaded_file(field: str = "file") -> tuple[str | None, bytes]:
    """The file a multipart upload gives in `field`: the client's name for it (see
    `client_filename`) and its bytes; 422 naming the field when the form has none."""
    upload = request.files.get(field)
    if upload is None:
        raise ValidationFailed({field: [MISSING_FILE]})
    return client_filename(upload), upload.read()


def signed_raw_body(view: Callable) -> Callable:
    """Mark a view that reads its body as bytes and verifies a signature over them (a gateway's
    webhook): its body is not text-checked here, since refusing a control character or a
    direction mark inside a cardholder's name would make the gateway retry a genuine event for
    days; the view authenticates the bytes and reads only the fields it needs."""
    view._signed_raw_body = True
    return view


def _view_mark(mark: str) -> bool:
    handler = view_handler(current_app.view_functions[request.endpoint], request.method)
    return getattr(handler, mark, False)


def upload_request_limit() -> int:
    """The largest upload request read: twice `DOCUMENT_MAX_BYTES` and room for the form, so a
    file somewhat over the limit is told `file_too_large`, and only a far larger request
    `payload_too_large` (the form parser spools files to disk, so this is not held in memory)."""
    return 2 * current_app.config["DOCUMENT_MAX_BYTES"] + 64 * 1024


def form_errors(free_text: bool = False) -> dict[str, list[str]]:
    """The form field names, values and file names that may not enter (`free_text`: values
    are text, as a JSON body's strings are, rather than names)."""
    errors: dict[str, list[str]] = {}
    # A part without a name (werkzeug gives its key as None) reaches no view: nothing to check.
    for key, value in request.form.items(multi=True):
        if key is None:
            continue
        for problem in (text_problem(key, name=True), text_problem(value, name=not free_text)):
            if problem:
                errors.setdefault(shown(key), []).append(problem)
    for key, upload in request.files.items(multi=True):
        if key is None:
            continue
        filename = client_filename(upload) or ""
        for problem in (text_problem(key, name=True), filename_problem(filename)):
            if problem:
                errors.setdefault(shown(key), []).append(problem)
    return errors


def filename_problem(filename: str) -> str | None:
    """The message refusing an uploaded file's name, or None: a plain name, without folders
    (`/`, `\\`, `..`), controls or direction controls."""
    if re.search(r"[\\/]", filename) or ".." in filename:
        return FOLDERS_MESSAGE
    return text_problem(filename, name=True)


def client_filename(upload) -> str | None:
    """The name the client gave an uploaded file (a werkzeug `FileStorage`), as it sent it."""
    return raw_filename(upload.headers.get("Content-Disposition", "")) or upload.filename


def raw_filename(disposition: str) -> str:
    """The file name as the client sent it: the form parser drops backslashes (it reads
    `a\\b.pdf` as a quoted `ab.pdf`), and a backslash is a folder separator on Windows."""
    found = re.search(r'filename="((?:[^"\\]|\\.)*)"', disposition) or re.search(
        r"filename=([^;]*)", disposition
    )
    return found.group(1) if found else ""
