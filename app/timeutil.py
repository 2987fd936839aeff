"""Time: UTC in the database and in code, Asia/Muscat at the edges."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

MUSCAT = ZoneInfo("Asia/Muscat")


def utcnow() -> datetime:
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
