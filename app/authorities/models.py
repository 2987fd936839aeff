from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models import Timestamped


class Authority(Timestamped, db.Model):
    """A government body that owns services, applications and staff: the tenant."""

    __tablename__ = "authorities"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    name_ar: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    # A new random number whenever the holidays that count here change (app.calendar.services):
    # the key under which each process keeps the authority's calendar in memory.
    calendar_version: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    # The working day, in minutes after midnight Asia/Muscat (8:00–14:30 by default): minute
    # targets count inside it, on the calendar's working days. A change gives the calendar a
    # new version too (app.calendar.services.set_working_hours).
    work_starts_minute: Mapped[int] = mapped_column(
        sa.SmallInteger, default=480, server_default="480"
    )
    work_ends_minute: Mapped[int] = mapped_column(
        sa.SmallInteger, default=870, server_default="870"
    )

    departments: Mapped[list[Department]] = relationship(
        back_populates="authority", order_by="Department.code"
    )


class Department(Timestamped, db.Model):
    __tablename__ = "departments"
    __table_args__ = (
        sa.UniqueConstraint("authority_id", "code", name="uq_departments_authority_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    name_ar: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))

    authority: Mapped[Authority] = relationship(back_populates="departments")
