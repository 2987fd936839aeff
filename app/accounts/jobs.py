"""Jobs of accounts."""

from __future__ import annotations

import logging

from app.accounts.sessions import purge_expired_sessions as _purge

log = logging.getLogger(__name__)


def purge_expired_sessions() -> int:
    """Periodic: delete old expired or revoked sessions."""
    removed = _purge()
    log.info("expired sessions purged", extra={"count": removed})
    return removed
