from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.timeutil import UTCDateTime, utcnow


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    IN_APP = "in_app"


class DeliveryState(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


def _enum(kind):
    return sa.Enum(
        kind, native_enum=False, length=10, values_callable=lambda e: [m.value for m in e]
    )


class Notification(db.Model):
    """One message to one person on one channel: a row of the outbox.

    The text is rendered when the row is written, in the recipient's language; the address is
    read from the account when it is sent, unless the row names its own (`to_address`).
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.Index("ix_notifications_due", "state", "next_attempt_at"),
        sa.Index("ix_notifications_subject", "subject_type", "subject_id"),
        sa.Index("ix_notifications_inbox", "user_id", "channel", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    event: Mapped[str] = mapped_column(sa.String(40))
    language: Mapped[str] = mapped_column(sa.String(2))
    subject_type: Mapped[str | None] = mapped_column(sa.String(40))
    subject_id: Mapped[str | None] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    sms_parts: Mapped[int | None]
    # Where it goes when not to the account's address read at send time: the old e-mail or
    # phone told of a change to a new one (app.accounts.services.update_profile).
    to_address: Mapped[str | None] = mapped_column(sa.String(254))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    state: Mapped[DeliveryState] = mapped_column(_enum(DeliveryState), default=DeliveryState.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    provider_reference: Mapped[str | None] = mapped_column(sa.String(200))
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
