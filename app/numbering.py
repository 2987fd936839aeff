"""Gapless numbers per authority, per series, per year (licences, receipts, ...).

A number is taken inside the transaction that creates its document: the counter row is locked
until that transaction ends, so concurrent issuers wait for each other, and a rollback gives the
number back. No gaps, no duplicates.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class NumberSequence(db.Model):
    __tablename__ = "number_sequences"

    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), primary_key=True)
    series: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


def next_number(authority_id: int, series: str, year: int) -> int:
    """The next number of the series in the current transaction (the caller commits).

    One statement: the year's first number creates its counter at 1, every later one adds 1 to
    it (`ON CONFLICT … DO UPDATE`, which locks the row as an UPDATE does)."""
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    statement = insert(NumberSequence).values(
        authority_id=authority_id, series=series, year=year, last_value=1
    )
    return db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["authority_id", "series", "year"],
            set_={"last_value": NumberSequence.last_value + 1},
        ).returning(NumberSequence.last_value)
    ).scalar_one()
