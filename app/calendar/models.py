from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models import Timestamped
from app.timeutil import UTCDateTime


class HolidayOverride(Timestamped, db.Model):
    """An admin's change to the holidays: a day declared a holiday, or a package holiday
    cancelled (moon sighting moved it). Moving a holiday is a cancellation plus a declaration.
    With no authority it applies to all authorities."""

    __tablename__ = "holiday_overrides"
    __table_args__ = (sa.CheckConstraint("kind IN ('declared', 'cancelled')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    name_ar: Mapped[str | None] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class CalendarDay(db.Model):
    """One date of one authority's calendar, with its running working-day number.

    `working_day_number` counts the authority's working days from the start of the table up to
    and including `day`, so that elapsed working days and due dates are arithmetic in SQL.
    Rebuilt from the `holidays` package and the overrides whenever an override changes.
    """

    __tablename__ = "calendar_days"

    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), primary_key=True)
    day: Mapped[dt.date] = mapped_column(sa.Date, primary_key=True)
    is_working: Mapped[bool]
    working_day_number: Mapped[int]
    reason: Mapped[str | None] = mapped_column(sa.String(10))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    name_ar: Mapped[str | None] = mapped_column(sa.String(200))

    __table_args__ = (sa.Index("ix_calendar_days_number", "authority_id", "working_day_number"),)
