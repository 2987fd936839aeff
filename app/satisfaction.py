"""Satisfaction: once a request is closed, its person rates how it went (1 to 5, and a comment).

The customer charter (seed `004_…`) promises satisfaction is measured; North Al Batinah and the
e-participation policy ask for questionnaires. A rating belongs to one closed record of a rated
kind (an application, a complaint, a support ticket, a refund...), is given once by the person the
record belongs to, and carries the authority, service and department it is counted under, copied
when it is given so a report groups by them without reading each kind's tables.

Each kind's package decides who may rate and when (its record closed, the caller its person) and
calls `rate()`; the reports read this table alone.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.errors import Conflict
from app.extensions import db
from app.i18n import N_
from app.timeutil import UTCDateTime, utcnow

ALREADY_RATED = N_("This has already been rated; a rating is given once.")
SCORES = range(1, 6)


class SatisfactionRating(db.Model):
    """One person's rating of one closed record."""

    __tablename__ = "satisfaction_ratings"
    __table_args__ = (
        sa.UniqueConstraint("subject_type", "subject_id"),  # one rating per record
        sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_one_to_five"),
        sa.Index("ix_satisfaction_ratings_report", "authority_id", "rated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(20))  # application, complaint, refund...
    subject_id: Mapped[int]
    reference: Mapped[str] = mapped_column(sa.String(40))
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("services.id"))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(sa.Text)
    rated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


def rate(
    subject_type: str,
    subject_id: int,
    reference: str,
    *,
    person_id: int,
    authority_id: int,
    service_id: int | None,
    department_id: int | None,
    score: int,
    comment: str | None = None,
) -> SatisfactionRating:
    """Record the rating of a closed record, or refuse a second one (409 `already_rated`).

    The caller has checked that the record is closed and that `person_id` is its person. The
    unique constraint decides under a race: the row is inserted in a savepoint, so a duplicate
    leaves the caller's transaction usable for its refusal."""
    from app.audit import record_change

    rating = SatisfactionRating(
        subject_type=subject_type,
        subject_id=subject_id,
        reference=reference,
        authority_id=authority_id,
        service_id=service_id,
        department_id=department_id,
        person_id=person_id,
        score=score,
        comment=(comment or "").strip() or None,
    )
    if db.session.scalar(
        sa.select(SatisfactionRating.id).where(
            SatisfactionRating.subject_type == subject_type,
            SatisfactionRating.subject_id == subject_id,
        )
    ):
        raise Conflict(code="already_rated", detail=ALREADY_RATED)
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except sa.exc.IntegrityError:
        raise Conflict(code="already_rated", detail=ALREADY_RATED) from None
    record_change(
        "satisfaction.rate",
        subject_type,
        reference,
        authority_id=authority_id,
        after={"score": score, "comment": rating.comment},
    )
    return rating
