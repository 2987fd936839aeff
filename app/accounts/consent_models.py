"""Consents to optional processing, granted and withdrawn, as history (app.accounts.consent)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime


class Consent(db.Model):
    """A user's consent to one purpose, from `granted_at` until `withdrawn_at`. A user has at
    most one live consent per purpose; a withdrawn one stays, as the record of what was
    allowed when."""

    __tablename__ = "consents"
    __table_args__ = (
        sa.Index(
            "uq_consents_live",
            "user_id",
            "purpose",
            unique=True,
            postgresql_where=sa.text("withdrawn_at IS NULL"),
            sqlite_where=sa.text("withdrawn_at IS NULL"),
        ),
        sa.Index("ix_consents_purpose_live", "purpose", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(30))
    notice_version: Mapped[str] = mapped_column(sa.String(20))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_from: Mapped[str | None] = mapped_column(sa.String(45))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
