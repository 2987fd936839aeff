"""Jobs of accounts."""

from __future__ import annotations

import logging

from app.accounts.resets import purge_password_resets
from app.accounts.sessions import purge_expired_sessions as _purge

log = logging.getLogger(__name__)


def purge_expired_sessions() -> int:
    """Periodic: delete old expired or revoked sessions, and password resets ended a day ago."""
    removed = _purge()
    resets = purge_password_resets()
    log.info("expired sessions purged", extra={"count": removed, "password_resets": resets})
    return removed
