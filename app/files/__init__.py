"""Files of every domain: kept in `storage`, taken from clients by `uploads`, and served here.

Files leave the API one way: as a download, never rendered in the browser.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response


def attachment(content: bytes | str | Iterable[str], content_type: str, filename: str) -> Response:
    """A download named `filename` (a name we chose, never the uploader's), with `nosniff`."""
    response = Response(content, mimetype=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
