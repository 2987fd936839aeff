"""HTTP caching of the catalogue: an ETag per answer, and a 304 that costs no query to give.

The catalogue is public, read far more than it is written, and 20 to 90 kB a page. Every answer
of `GET /services` and `GET /services/{code}` carries an ETag made of the catalogue's version,
the caller's language and the address asked (path and query string: filters and page), with
`Cache-Control: public, no-cache` (a cache keeps it and asks again each time) and `Vary:
Accept-Language`. A request whose `If-None-Match` names the current ETag is answered 304 before
the query string is parsed and before any catalogue query: the check is a hash of three short
strings.

The version is a fingerprint of the rows the answers are made of: each service's and each
authority's id and `updated_at` (every change of a service, documents included, sets its
`updated_at`: `services.update_service`, the seed, `Timestamped`'s `onupdate`). A process reads
it once and trusts it for `VERSION_TTL` seconds; the process that changes the catalogue forgets
it at once (after the commit), the others see the change within `VERSION_TTL`. The version is
read before the answer's own query, so an answer is never older than the version it is tagged
with: a change in between costs a client one more full answer, never a stale one kept.

flask-smorest's `blp.etag` does not fit: it checks `If-None-Match` inside the view, after the
arguments are parsed, hashes the whole dumped answer when the view sets no ETag, raises its 304
as an HTTP error (which our one error handler answers as problem JSON, without the ETag and
`Vary` that a 304 must repeat), and on a `MethodView` makes the admin's PATCH demand `If-Match`.
Its documentation component for the `ETag` header is used in the OpenAPI document.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, current_app, request
from marshmallow import Schema, fields
from sqlalchemy import event
from sqlalchemy.orm import Session
from werkzeug.http import quote_etag

from app.authorities.models import Authority
from app.catalogue.models import Service
from app.extensions import db
from app.i18n import select_locale

VERSION_TTL = 1.0  # seconds a process trusts the version it read
CACHE_CONTROL = "public, no-cache"
VARY = "Accept-Language"
CHANGED = "catalogue_changed"

# The OpenAPI side: the request header, the answer's headers, and the 304 itself.


class RevalidationSchema(Schema):
    """The request header, read by `revalidated` before the view; declared for the docs."""

    if_none_match = fields.String(
        data_key="If-None-Match",
        metadata={"description": "The ETag of the answer you keep: 304 while it is current"},
    )


CACHE_HEADERS = {
    "ETag": "ETAG",  # flask-smorest's component
    "Cache-Control": {
        "description": f"`{CACHE_CONTROL}`: keep it, and ask again with `If-None-Match`",
        "schema": {"type": "string"},
    },
    "Vary": {"description": f"`{VARY}`", "schema": {"type": "string"}},
}
NOT_MODIFIED = (
    "Not modified: the ETag sent in `If-None-Match` is still the current one. No body; the "
    "ETag, `Cache-Control` and `Vary` are repeated."
)

now = time.monotonic  # the tests stop the clock


@dataclass
class _Version:
    value: str | None = None
    read_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def catalogue_version() -> str:
    """The catalogue's version as this process knows it: read again when older than
    `VERSION_TTL` or forgotten (`forget_version`)."""
    known = current_app.extensions["catalogue_version"]
    moment = now()
    with known.lock:
        if known.value is not None and moment - known.read_at < VERSION_TTL:
            return known.value
    value = read_version()
    with known.lock:
        known.value, known.read_at = value, moment
    return value


def read_version() -> str:
    """A fingerprint of every service and authority row's id and `updated_at`, in one query."""
    rows = db.session.execute(
        sa.union_all(
            sa.select(sa.literal("s"), Service.id, Service.updated_at),
            sa.select(sa.literal("a"), Authority.id, Authority.updated_at),
        )
    ).all()
    return hashlib.blake2b(repr(sorted(map(tuple, rows))).encode(), digest_size=12).hexdigest()


def catalogue_changed() -> None:
    """Called by the use cases that change the catalogue: this process forgets the version it
    knows once the current transaction commits (now too, so a read in the same transaction
    does not keep the old one)."""
    app = current_app._get_current_object()
    forget_version(app)
    db.session.info.setdefault(CHANGED, set()).add(app)


def forget_version(app: Flask) -> None:
    """The next read of `app`'s catalogue version asks the database."""
    known = app.extensions["catalogue_version"]
    with known.lock:
        known.value = None


def _after_commit(session: Session) -> None:
    for app in session.info.pop(CHANGED, ()):
        forget_version(app)


def etag(version: Callable[[], str] | None = None) -> str:
    """The ETag of the answer to this request: version (the catalogue's, or `version()`),
    language, path and query string."""
    # the language Babel picks for this request, without Babel's own look-up around it
    known = version() if version is not None else catalogue_version()
    seed = "\n".join((known, select_locale(), request.full_path))
    return hashlib.blake2b(seed.encode(), digest_size=12).hexdigest()


def revalidated(view: Callable) -> Callable:
    """A catalogue read that carries the ETag and caching headers, and answers 304 when
    `If-None-Match` names the current ETag (weak comparison, as RFC 9110 asks for GET)."""
    return revalidated_by(None)(view)


def revalidated_by(version: Callable[[], str] | None) -> Callable[[Callable], Callable]:
    """`revalidated`, for another public read whose answers are made of what `version()`
    fingerprints (the FAQ: `faq.routes`); None: the catalogue's version."""
    return functools.partial(_revalidated, version)


def _revalidated(version: Callable[[], str] | None, view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        tag = etag(version)  # before the view's query: see the module's docstring
        asked = request.if_none_match
        # `*` is not honoured: an unknown service has no representation to match, and a full
        # answer is always a right one.
        if not asked.star_tag and asked.contains_weak(tag):
            # Built with its headers: the hot path of a revalidating client, no look-ups.
            return current_app.response_class(
                status=304,
                headers=[
                    ("ETag", quote_etag(tag)),
                    ("Cache-Control", CACHE_CONTROL),
                    ("Vary", VARY),
                ],
            )
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200:
            response.set_etag(tag)
            response.headers["Cache-Control"] = CACHE_CONTROL
            response.vary.add(VARY)
        return response

    return wrapper


def init_caching(app: Flask) -> None:
    app.extensions["catalogue_version"] = _Version()
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
