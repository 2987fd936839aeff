"""Moderation of what the public reads: published suggestions and comments, FAQ entries proposed
from them, survey answers shown in results.

The e-participation policy (seed `003_…`) lets the portal remove content that breaks it. A record
of a moderated kind carries `Moderated`'s columns: it is shown publicly only once a moderator
published it, and a moderator can hide it again with a reason. Nothing is deleted: the record
stays, every decision is an audit row (`moderation.publish`, `moderation.hide`,
`moderation.restore`) with the reason, and the audit log keeps the text as it was.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.accounts.models import Role
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.i18n import N_
from app.timeutil import UTCDateTime, utcnow

MODERATORS = frozenset({Role.DEPARTMENT_HEAD, Role.ADMIN})
REASON_REQUIRED = N_("Give the reason for hiding this content.")
ALREADY = N_("The content is already in that state.")


class ModerationState(enum.StrEnum):
    PENDING = "pending"  # received, not yet seen by a moderator: not public
    PUBLISHED = "published"
    HIDDEN = "hidden"  # breaks the policy: not public, kept with its reason


class Moderated:
    """The moderation columns of a record the public may read."""

    moderation_state: Mapped[str] = mapped_column(
        sa.String(10), default=ModerationState.PENDING.value, server_default="pending"
    )
    moderated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    moderation_reason: Mapped[str | None] = mapped_column(sa.Text)

    @declared_attr
    def moderated_by_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id"))

    @property
    def publicly_visible(self) -> bool:
        return self.moderation_state == ModerationState.PUBLISHED

    @classmethod
    def shown_publicly(cls) -> sa.ColumnElement[bool]:
        """The WHERE clause of a public list: published records only."""
        return cls.moderation_state == ModerationState.PUBLISHED.value


def publish(record: Moderated, actor: Any, *, subject_type: str, subject_id: object) -> None:
    """Show the record publicly (from pending, or back from hidden)."""
    _decide(record, actor, ModerationState.PUBLISHED, None, subject_type, subject_id)


def hide(
    record: Moderated, actor: Any, reason: str | None, *, subject_type: str, subject_id: object
) -> None:
    """Take the record out of public view, with the reason (required), for the record."""
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [REASON_REQUIRED]})
    _decide(record, actor, ModerationState.HIDDEN, reason.strip(), subject_type, subject_id)


def _decide(
    record: Moderated,
    actor: Any,
    target: ModerationState,
    reason: str | None,
    subject_type: str,
    subject_id: object,
) -> None:
    from app.audit import record_change

    authority_id = getattr(record, "authority_id", None)
    if actor.role == Role.APPLICANT or (
        authority_id is not None and actor.authority_id != authority_id
    ):
        raise NotFound()  # the tenancy rule: staff of another authority never see the record
    if actor.role not in MODERATORS:
        raise Forbidden()
    source = record.moderation_state
    if source == target:
        raise Conflict(code="moderation_unchanged", detail=ALREADY, extra={"state": str(source)})
    record.moderation_state = target.value
    record.moderated_at = utcnow()
    record.moderated_by_id = actor.id
    record.moderation_reason = reason
    event = {
        ModerationState.PUBLISHED: "restore" if source == ModerationState.HIDDEN else "publish",
        ModerationState.HIDDEN: "hide",
    }[target]
    record_change(
        f"moderation.{event}",
        subject_type,
        subject_id,
        authority_id=authority_id,
        before={"moderation_state": str(source)},
        after={"moderation_state": target.value, **({"reason": reason} if reason else {})},
    )
