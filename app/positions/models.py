"""Positions and the escalations that passed over an unfilled one."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.accounts.models import User
from app.authorities.models import Authority, Department
from app.extensions import db
from app.models import Timestamped
from app.timeutil import UTCDateTime, utcnow


class PositionCode(enum.StrEnum):
    """What kind of position it is. A department head and a section manager belong to a
    department; the director and the two office directors to the whole authority."""

    DIRECTOR = "director"  # the authority's director: the top of every chain, level 3
    DEPARTMENT_HEAD = "department_head"  # a department's head: level 2 by default
    SECTION_MANAGER = "section_manager"  # a section of a department (training, winter camps)
    GOVERNOR_OFFICE_DIRECTOR = "governor_office_director"
    WALI_OFFICE_DIRECTOR = "wali_office_director"


IN_DEPARTMENT = (PositionCode.DEPARTMENT_HEAD, PositionCode.SECTION_MANAGER)
_IN_DEPARTMENT_SQL = ", ".join(f"'{c.value}'" for c in IN_DEPARTMENT)


class Position(Timestamped, db.Model):
    """A position in an authority, held by one of its active staff or unfilled (`holder_id`
    NULL). `reports_to_id` is the position one level up, where an escalation goes when this one
    is unfilled: a section manager reports to its department's head, a department head to the
    director, the director to none. `key` names it for good (the seed finds its positions by it);
    the names may change."""

    __tablename__ = "positions"
    __table_args__ = (
        sa.UniqueConstraint("authority_id", "key", name="uq_positions_authority_key"),
        sa.CheckConstraint(
            "code <> 'director' OR (department_id IS NULL AND reports_to_id IS NULL)",
            name="director_tops_the_authority",
        ),
        sa.CheckConstraint(
            f"code NOT IN ({_IN_DEPARTMENT_SQL}) OR department_id IS NOT NULL",
            name="department_positions_have_department",
        ),
        sa.CheckConstraint(
            "reports_to_id IS NULL OR reports_to_id <> id", name="reports_to_another"
        ),
        sa.Index(
            "uq_positions_one_director",
            "authority_id",
            unique=True,
            postgresql_where=sa.text("code = 'director'"),
            sqlite_where=sa.text("code = 'director'"),
        ),
        sa.Index(
            "uq_positions_one_head_per_department",
            "department_id",
            unique=True,
            postgresql_where=sa.text("code = 'department_head'"),
            sqlite_where=sa.text("code = 'department_head'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    key: Mapped[str] = mapped_column(sa.String(60))
    code: Mapped[PositionCode] = mapped_column(
        sa.Enum(
            PositionCode,
            native_enum=False,
            length=30,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    name_ar: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))
    holder_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    reports_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("positions.id"))

    authority: Mapped[Authority] = relationship()
    department: Mapped[Department | None] = relationship()
    holder: Mapped[User | None] = relationship()
    reports_to: Mapped[Position | None] = relationship(remote_side=[id])

    @property
    def filled(self) -> bool:
        """An active member of staff holds it: escalations stop here."""
        return self.holder is not None and self.holder.is_active


class PositionGap(db.Model):
    """One escalation that passed over an unfilled position (or one whose holder is inactive)
    on its way up: what `GET /api/v1/positions?unfilled=true` counts."""

    __tablename__ = "position_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(
        sa.ForeignKey("positions.id", ondelete="CASCADE"), index=True
    )
    service_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("services.id", ondelete="SET NULL")
    )
    level: Mapped[int]
    passed_over_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def _gaps(figure: sa.ColumnElement) -> sa.ScalarSelect:
    """`figure` over the escalations that passed over the position (a correlated subquery)."""
    return (
        sa.select(figure)
        .where(PositionGap.position_id == Position.id)
        .correlate_except(PositionGap)
        .scalar_subquery()
    )


# How many escalations passed over each position, and when last (the admins' list of unfilled
# positions): read only where asked for (`undefer`), in the list's own statement.
Position.passed_over = column_property(_gaps(sa.func.count(PositionGap.id)), deferred=True)
Position.last_passed_over_at = column_property(
    _gaps(sa.func.max(PositionGap.passed_over_at)), deferred=True
)
