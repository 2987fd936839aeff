"""Time: UTC in the database and in code, Asia/Muscat at the edges."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

MUSCAT = ZoneInfo("Asia/Muscat")

# A moment the domain clock is stopped at, or None for the real time. Only the tests set it
# (tests/clock.py), so that every module reading `utcnow()` sees the same frozen time.
frozen_at: datetime | None = None


def utcnow() -> datetime:
    """Now, in UTC, as the domain code sees it: the real time unless a test froze it."""
    if frozen_at is not None:
        return frozen_at.astimezone(UTC)
    return datetime.now(UTC)


def real_utcnow() -> datetime:
    """Now, in UTC, never frozen: for sign-in sessions and tokens, whose expiry the JWT library
    and the client check against the real clock, so that a test can move the domain clock days
    ahead and still be signed in."""
    return datetime.now(UTC)


def to_muscat(moment: datetime) -> datetime:
    return moment.astimezone(MUSCAT)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime kept in UTC on every backend.

    PostgreSQL stores `timestamptz`; SQLite, which has no time zones, stores the UTC wall time.
    Naive datetimes are refused: a time without a zone is a bug waiting to happen.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
