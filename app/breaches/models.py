"""What the staff recorded about a missed target: one row per explanation (a later one adds to
the record's account, none is edited)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow


class BreachExplanation(db.Model):
    """Why an SLA-tracked record (`subject_type`: "application"; the table takes refunds and
    cases by the same two columns) missed its target, and what is being done, in Arabic and/or
    English (always in the applicant's language, `language`, in which they were told)."""

    __tablename__ = "breach_explanations"
    __table_args__ = (
        sa.Index("ix_breach_explanations_subject", "subject_type", "subject_id"),
        # The managers' listing and the monthly report: an authority's explanations by time.
        sa.Index("ix_breach_explanations_authority", "authority_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    subject_type: Mapped[str] = mapped_column(sa.String(20))
    subject_id: Mapped[int]
    # The record as people name it (an application's reference), and its service.
    reference: Mapped[str] = mapped_column(sa.String(30))
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("services.id"))
    # The due date that was missed, as the record's clock gave it when this was written.
    due_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(sa.String(20))
    language: Mapped[str] = mapped_column(sa.String(2))
    reason_ar: Mapped[str | None] = mapped_column(sa.Text)
    reason_en: Mapped[str | None] = mapped_column(sa.Text)
    remedy_ar: Mapped[str | None] = mapped_column(sa.Text)
    remedy_en: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
