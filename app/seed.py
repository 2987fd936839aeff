"""Reference data of a new installation, loaded by `flask seed` and by the tests."""

from __future__ import annotations

from app.authorities.seed import seed_authorities
from app.calendar.services import ensure_calendar_tables
from app.catalogue.seed import seed_catalogue


def seed_reference_data() -> None:
    """Idempotent: creates what is missing, updates what changed; the caller commits."""
    seed_authorities()
    ensure_calendar_tables()
    seed_catalogue()
