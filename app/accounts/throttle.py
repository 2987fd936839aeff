"""The login lockout: failed logins counted per login identifier, whether or not an account has it.

An unknown e-mail address locks after the same number of failures as a real one, with the same
answer, so the lockout cannot tell an attacker which addresses have accounts.

Kept in the database, not in the rate limiter's storage: the lockout must hold across every web
process and survive a restart also when there is no Redis (the limiter's memory storage is per
process), and it is updated in the login's own transaction. Rows are keyed by an HMAC of the
identifier under SECRET_KEY, so the table holds nobody's address or civil ID.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.models import LoginThrottle
from app.errors import TooManyRequests
from app.extensions import db


def throttle_key(identifier: dict[str, str]) -> str:
    """The row key of a login identifier ({"email": …} or {"civil_id": …}), normalised."""
    (kind, value), *_ = identifier.items()
    message = f"{kind}:{value.strip().lower()}".encode()
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def refuse_if_locked(key: str, now: datetime) -> None:
    """429 with Retry-After while the identifier is locked."""
    locked_until = db.session.scalar(
        sa.select(LoginThrottle.locked_until).where(LoginThrottle.key == key)
    )
    if locked_until is not None and locked_until > now:
        retry = int((locked_until - now).total_seconds()) + 1
        raise TooManyRequests(headers={"Retry-After": str(retry)})


def record_failure(key: str, now: datetime) -> None:
    """Count one failure (atomically, under concurrent logins); the last allowed one locks the
    identifier for LOGIN_LOCK_SECONDS and starts the count again. Commit is the caller's."""
    insert = (postgresql if db.engine.dialect.name == "postgresql" else sqlite).insert
    failures = db.session.scalar(
        insert(LoginThrottle)
        .values(key=key, failures=1, updated_at=now)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.key],
            set_={"failures": LoginThrottle.failures + 1, "updated_at": now},
        )
        .returning(LoginThrottle.failures)
    )
    if failures >= current_app.config["LOGIN_MAX_FAILURES"]:
        lock = timedelta(seconds=current_app.config["LOGIN_LOCK_SECONDS"])
        db.session.execute(
            sa.update(LoginThrottle)
            .where(LoginThrottle.key == key)
            .values(failures=0, locked_until=now + lock)
        )


def clear_failures(key: str) -> None:
    """A successful login forgets the identifier's failures. Commit is the caller's."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.key == key))


def purge_stale_throttles(now: datetime) -> int:
    """Delete rows not locked and untouched for a day; returns how many."""
    cutoff = now - timedelta(days=1)
    result = db.session.execute(
        sa.delete(LoginThrottle).where(
            LoginThrottle.updated_at < cutoff,
            sa.or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    )
    return result.rowcount
