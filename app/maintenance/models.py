from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.authorities.models import Authority
from app.extensions import db
from app.models import Timestamped
from app.timeutil import UTCDateTime


class MaintenanceWindow(Timestamped, db.Model):
    """A period announced beforehand when an authority's services (or all, with no authority)
    accept no changes. Cancelled windows are kept, marked, for the record."""

    __tablename__ = "maintenance_windows"
    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    message_ar: Mapped[str] = mapped_column(sa.Text)
    message_en: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    authority: Mapped[Authority | None] = relationship()
