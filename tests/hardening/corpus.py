"""A generator of hostile requests over every operation of the OpenAPI document.

For each operation (path and method) it writes a fixed set of cases: path parameters out of
range or poisoned, query strings with hostile values and names, JSON bodies built from the
operation's own schema with hostile strings at depth (surrogates, NUL and C0 controls, bidi
controls, long and unusual Unicode), huge and fractional numbers, wrong types, deep nesting,
raw bodies the parser should refuse (NaN, 1e400, invalid UTF-8, 5,000 levels), odd headers and
content types, and for uploads hostile file names and form fields. Deterministic: the same
document gives the same cases, so a failure names a case that can be sent again.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

TEXTS = (
    "\ud800",  # a lone high surrogate
    "x\udfffy",  # a lone low surrogate inside text
    "\x00",
    "a\x00b",
    "\x1b[31mred\x1b[0m",
    "line\rbreak",
    "\x7f\x08\x0b\x0c",
    "invoice\u202egnp.pdf",
    "\u2066isolated\u2069",
    "\u200f\u061c\u200e",
    "x" * 5000,
    "ي" * 3000,
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # a ZWJ family: one glyph, five code points
    "e\u0301\u0301\u0301\u0301",  # stacked combining marks
    "\ufeff\ufffe\uffff",  # BOM and non-characters
    "١٢٣٤٥",  # Arabic-Indic digits
    "%00%ED%A0%80",
    "'; DROP TABLE users; --",
    "../../etc/passwd",
    "${jndi:ldap://x}",
    "",
    " ",
    "NaN",
    "null",
    "2026-02-30",
    "9999-12-31T23:59:59+99:00",
)
# A multipart body is bytes the client encodes; a lone surrogate cannot be written in it.
FORM_TEXTS = tuple(t for t in TEXTS if not any("\ud800" <= c <= "\udfff" for c in t))
NUMBERS = (2**31, 2**53 + 1, 2**63, -(2**63) - 1, 10**40, -1, 0, 1.5, -0.0, 1e308)
WRONG_TYPES = ([], {}, [[[[["deep"]]]]], {"a": {"b": {"c": "\x00"}}}, True, None)
PATH_INTS = ("0", "-1", "2147483648", "9223372036854775808", "1" * 40, "1.5", "%00", "abc")
PATH_TEXTS = (
    "%00",
    "%ED%A0%80",  # a surrogate encoded as UTF-8: not valid UTF-8
    "%E2%80%AE",
    "..%2F..%2Fetc",
    "x" * 300,
    "%F0%9F%98%80",
    "%C0%AE",
    "NBG%0A",
    "%20",
)
RAW_BODIES = (
    b"NaN",
    b'{"a": NaN}',
    b'{"a": -Infinity}',
    b'{"a": 1e400}',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 40 + b"1" + b"}" * 40,
    b"\xff\xfe\x00{",
    b"",
    b"null",
    b"[]",
    b'"text"',
    b"12345678901234567890123456789",
    b'{"a": "\\ud800"}',
    b'{"\\u0000": 1}',
    b"{",
    b'{"a": 1, "a": 2}',
    b"\xef\xbb\xbf{}",  # a UTF-8 byte order mark
    b'{"a": "' + b"9" * 5000 + b'"}',
    b"[" + b"1," * 20000 + b"1]",
)
HEADERS = (
    {"Accept-Language": "ar\x00"},
    {"Accept-Language": "*;q=NaN, en;q=2, ;;"},
    {"Accept-Language": "x" * 4000},
    {"X-Request-ID": "\x01" * 10},
    {"X-Request-ID": "r" * 5000},
    {"Idempotency-Key": "k\x00"},
    {"Idempotency-Key": "é" * 300},
    {"Authorization": "Bearer \x00"},
    {"Authorization": "Bearer " + "a" * 5000},
    {"Authorization": "Basic YTpi"},
    {"Authorization": "Bearer a.b.c"},
)
CONTENT_TYPES = (
    "text/plain",
    "application/x-www-form-urlencoded",
    "application/json; charset=latin-1",
    "application/merge-patch+json",
)


@dataclass
class Case:
    """One request: sent as `method url` with the test client's keyword arguments."""

    operation: str
    what: str
    method: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def send(self, client, headers: dict[str, str]):
        """Send the case with the caller's headers under its own (a file is opened afresh)."""
        kwargs = dict(self.kwargs)
        kwargs["headers"] = {**headers, **kwargs.get("headers", {})}
        if "data" in kwargs and isinstance(kwargs["data"], dict):
            kwargs["data"] = {
                k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v
                for k, v in kwargs["data"].items()
            }
        return getattr(client, self.method)(self.url, **kwargs)

    def __str__(self) -> str:
        return f"{self.operation} [{self.what}] {self.url[:120]}"


def operations(spec: dict) -> Iterator[tuple[str, str, dict, list[dict]]]:
    """(path, method, operation, parameters) of every operation of the document."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            yield (
                path,
                method,
                operation,
                item.get("parameters", []) + operation.get("parameters", []),
            )


def resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def hostile_cases(spec: dict, valid: dict[str, str]) -> list[Case]:
    """Every case for every operation. `valid` gives a value for a path parameter that names
    a real record (`application_id`), so the view's own checks run past the 404 too."""
    cases: list[Case] = []
    counter = itertools.count()
    for path, method, operation, parameters in operations(spec):
        cases.extend(_operation_cases(spec, path, method, operation, parameters, valid, counter))
    return cases


def _operation_cases(spec, path, method, operation, parameters, valid, counter) -> list[Case]:
    name = f"{method.upper()} {path}"
    path_params = [p for p in parameters if p["in"] == "path"]
    query_params = [p for p in parameters if p["in"] == "query"]
    content = operation.get("requestBody", {}).get("content", {})
    cases: list[Case] = []

    def add(what, url, **kwargs):
        cases.append(Case(name, what, method, url, kwargs))

    def url_with(values: dict[str, str]) -> str:
        url = path
        for p in path_params:
            url = url.replace(
                "{" + p["name"] + "}", values.get(p["name"], valid.get(p["name"], "1"))
            )
        return url

    base = url_with({})
    n = next(counter)
    for p in path_params:  # each path parameter, poisoned in turn
        pool = PATH_INTS if p["schema"].get("type") == "integer" else PATH_TEXTS
        for offset in range(3):
            add(f"path {p['name']}", url_with({p["name"]: pool[(n + offset) % len(pool)]}))
    for index, p in enumerate(query_params):
        value = _pick(TEXTS + tuple(map(str, NUMBERS)), n + index)
        add(f"query {p['name']}", f"{base}?{p['name']}={_quoted(value)}")
    add("query names", f"{base}?{_quoted(_pick(TEXTS, n))}=1&page=1&page=2&%00=%00")
    add("headers", base, headers=_pick(HEADERS, n))
    add("headers", base, headers=_pick(HEADERS, n + 5))
    if "application/json" in content:
        schema = resolve(spec, content["application/json"]["schema"])
        for variant in range(4):
            # The standard library's dumps keeps a lone surrogate as the escape \ud800.
            body = json.dumps(_hostile_body(spec, schema, n + variant, variant))
            add(f"json {variant}", base, data=body.encode(), content_type="application/json")
        for offset in range(2):
            raw = _pick(RAW_BODIES, n * 2 + offset)
            add("raw body", base, data=raw, content_type="application/json")
        add("content type", base, data=b'{"a": 1}', content_type=_pick(CONTENT_TYPES, n))
    elif "multipart/form-data" in content:
        for variant in range(4):
            add(f"upload {variant}", base, **_hostile_upload(n + variant))
    elif method in ("post", "put", "patch", "delete"):
        add("unexpected body", base, data=_pick(RAW_BODIES, n), content_type="application/json")
    return cases


def _quoted(text: str) -> str:
    """Percent-encoded; a lone surrogate as the bytes UTF-8 would give it (not valid UTF-8)."""
    return quote(text, safe="", errors="surrogatepass")


def _pick(pool, index):
    return pool[index % len(pool)]


def _hostile_body(spec: dict, schema: dict, seed: int, variant: int) -> Any:
    """A body with the schema's own field names, each holding something hostile: texts
    (variant 0), numbers (1), wrong types (2), or texts buried in nested objects (3)."""
    properties = resolve(spec, schema).get("properties", {}) or {"field": {}}
    body = {}
    for index, (key, prop) in enumerate(sorted(properties.items())):
        prop = resolve(spec, prop)
        k = seed + index
        if variant == 0:
            body[key] = _pick(TEXTS, k)
        elif variant == 1:
            body[key] = _pick(NUMBERS, k)
        elif variant == 2:
            body[key] = _pick(WRONG_TYPES, k)
        elif prop.get("type") == "object" or "properties" in prop:
            body[key] = {"nested": {"deeper": [_pick(TEXTS, k), {"x": _pick(TEXTS, k + 1)}]}}
        else:
            body[key] = [_pick(TEXTS, k), {"k" + _pick(TEXTS, k + 2)[:5]: _pick(NUMBERS, k)}]
    return body


def _hostile_upload(seed: int) -> dict[str, Any]:
    names = (
        "a\\b.pdf",
        "invoice\u202egnp.pdf",
        "\x00.pdf",
        "../../x.pdf",
        "x" * 1000 + ".pdf",
        "\u2066.pdf",
        "ملف.pdf",
        "",
    )
    fields = ("document_code", "kind", "file\x00", "x")
    data = {
        _pick(fields, seed): _pick(FORM_TEXTS, seed),
        "kind": _pick(("bank_statement", "\u202e", "x" * 300), seed),
        "document_code": _pick(("lease_contract", "\x00", "ي" * 100), seed),
        "file": (_pick((PDF, b"", b"\x89PNG", b"MZ\x90"), seed), _pick(names, seed)),
    }
    return {"data": data, "content_type": "multipart/form-data"}
