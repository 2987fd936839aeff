"""One row per escalation fired: the unique key (kind, item, level, spell start) is what makes each
level fire once per idle spell, whichever sweep (or two at once) gets there first."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime

APPLICATION, REFUND, CASE, MESSAGE = "application", "refund", "case", "message"
KINDS = (APPLICATION, REFUND, CASE, MESSAGE)
LEVELS = (1, 2, 3)
ASSIGNEE, POSITION, DIRECTOR = LEVELS


class Escalation(db.Model):
    """A level of the ladder fired for one item in one idle spell: who was told, how.

    `item_id` is the application's, refund's or case's id; for `message` the application's (its
    thread's oldest unanswered message starts the spell). `spell_start` is the item's last staff
    action (or the message's time) when it fired: a later action starts a new spell, and the
    ladder may climb again. `position_id` is the position told (up the chain from the one asked
    for when that was unfilled; none at level 1, the assignee)."""

    __tablename__ = "escalations"
    __table_args__ = (
        sa.UniqueConstraint("kind", "item_id", "level", "spell_start", name="uq_escalations_spell"),
        sa.Index("ix_escalations_authority", "authority_id", "fired_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    item_id: Mapped[int]
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    spell_start: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    reference: Mapped[str] = mapped_column(sa.String(40))
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    idle_days: Mapped[int]
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    # Filled from the positions resolver (app.positions.targets) in the same unit of work.
    position_id: Mapped[int | None] = mapped_column(sa.ForeignKey("positions.id"))
    recipients: Mapped[list[int] | None] = mapped_column(sa.JSON)  # user ids
    channels: Mapped[list[str] | None] = mapped_column(sa.JSON)  # Channel values
