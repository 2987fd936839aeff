"""The terms of use and privacy notice each authority publishes, in versions, and each user's
acceptance of a version: the proof of consent that Oman's Personal Data Protection Law asks for
(`app.accounts.terms`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.authorities.models import Authority
from app.extensions import db
from app.timeutil import UTCDateTime


class TermsVersion(db.Model):
    """One published version of an authority's terms of use and privacy notice, in both
    languages. Exactly one version of an authority is current (`is_current`); a published
    version is never changed, a change is a new version."""

    __tablename__ = "terms_versions"
    __table_args__ = (
        sa.UniqueConstraint("authority_id", "version", name="uq_terms_versions_authority_version"),
        sa.Index(
            "uq_terms_versions_current",
            "authority_id",
            unique=True,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        ),
        sa.CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    version: Mapped[int]
    terms_ar: Mapped[str] = mapped_column(sa.Text)
    terms_en: Mapped[str] = mapped_column(sa.Text)
    privacy_ar: Mapped[str] = mapped_column(sa.Text)
    privacy_en: Mapped[str] = mapped_column(sa.Text)
    summary_ar: Mapped[str] = mapped_column(sa.String(500), default="")
    summary_en: Mapped[str] = mapped_column(sa.String(500), default="")
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    is_current: Mapped[bool] = mapped_column(default=True)

    authority: Mapped[Authority] = relationship()


class TermsAcceptance(db.Model):
    """A user accepted a version: when, from which address and client, and how (at
    registration, or asked again after a new version). Kept as long as the account's records:
    it is the proof of consent."""

    __tablename__ = "terms_acceptances"
    __table_args__ = (
        sa.UniqueConstraint(
            "user_id", "terms_version_id", name="uq_terms_acceptances_user_version"
        ),
        sa.CheckConstraint("how IN ('registration', 'asked')", name="how_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    terms_version_id: Mapped[int] = mapped_column(sa.ForeignKey("terms_versions.id"))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    how: Mapped[str] = mapped_column(sa.String(12))

    terms_version: Mapped[TermsVersion] = relationship()
