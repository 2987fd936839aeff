"""Positions and services of the seed, found by their stable names, for the positions' tests."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.authorities.models import Authority
from app.catalogue.models import Service
from app.extensions import db
from app.positions.models import Position


def position(authority: str, key: str) -> Position:
    return db.session.scalar(
        sa.select(Position).join(Authority).where(Authority.code == authority, Position.key == key)
    )


def service(code: str) -> Service:
    return db.session.scalar(sa.select(Service).where(Service.code == code))


def hold(authority: str, key: str, user_id: int | None) -> Position:
    """`user_id` now holds the position (None: vacate it), committed."""
    found = position(authority, key)
    found.holder_id = user_id
    db.session.commit()
    return found


def deactivate(user_id: int) -> None:
    db.session.get(User, user_id).is_active = False
    db.session.commit()
