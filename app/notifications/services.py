"""Writing notifications into the outbox, and reading them back."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.errors import NotFound
from app.extensions import db
from app.notifications.channels import Attachment
from app.notifications.models import Channel, DeliveryState, Notification
from app.notifications.sms_text import sms_parts
from app.notifications.templates import render
from app.subjects import subject_ids
from app.timeutil import utcnow
from jobs import enqueue_batched

ALL_CHANNELS = (Channel.EMAIL, Channel.SMS, Channel.IN_APP)
DELIVER = "app.notifications.delivery.deliver_notification"  # one row (jobs queued before)
DELIVER_ALL = "app.notifications.delivery.deliver_notifications"  # a transaction's rows

# Attachments are kept as references ({"kind": ..., ...}) and loaded when the e-mail is sent.
# "inline" carries small content itself; later features register kinds of their own (receipts).
INLINE_LIMIT = 256 * 1024
_loaders: dict[str, Callable[[dict[str, Any]], Attachment]] = {}


def register_attachment_loader(kind: str, loader: Callable[[dict[str, Any]], Attachment]) -> None:
    _loaders[kind] = loader


def inline_attachment(filename: str, content_type: str, content: bytes) -> dict[str, Any]:
    if len(content) > INLINE_LIMIT:
        raise ValueError("inline attachments are for small files; register a loader for large ones")
    return {
        "kind": "inline",
        "filename": filename,
        "content_type": content_type,
        "content": base64.b64encode(content).decode(),
    }


def _load_inline(reference: dict[str, Any]) -> Attachment:
    return Attachment(
        reference["filename"], reference["content_type"], base64.b64decode(reference["content"])
    )


register_attachment_loader("inline", _load_inline)


def load_attachment(reference: dict[str, Any]) -> Attachment:
    return _loaders[reference["kind"]](reference)


def notify(
    user: User,
    event: str,
    context: dict[str, Any],
    *,
    subject: tuple[str, object] | None = None,
    authority_id: int | None = None,
    channels: Iterable[Channel] = ALL_CHANNELS,
    attachments: Iterable[dict[str, Any]] = (),
    to_address: str | None = None,
) -> list[Notification]:
    """Write the notices of `event` for `user` into the current transaction, in the user's
    language; after the transaction commits one job delivers its e-mails and SMS, every notice
    the transaction wrote. The caller commits (or rolls back, and nothing is sent)."""
    rendered = render(event, user.preferred_language, context)
    subject_type, subject_id = (subject[0], str(subject[1])) if subject else (None, None)
    rows = []
    for channel in channels:
        row = Notification(
            user_id=user.id,
            authority_id=authority_id,
            channel=Channel(channel),
            event=event,
            language=user.preferred_language,
            subject_type=subject_type,
            subject_id=subject_id,
            title=rendered.title[:300],
            attempts=0,
            state=DeliveryState.QUEUED,
            body_text=rendered.text,
            body_html=None,
            attachments=[],
            to_address=to_address,
        )
        if row.channel == Channel.EMAIL:
            row.body_html = rendered.html
            row.attachments = list(attachments)
        elif row.channel == Channel.SMS:
            row.body_text = rendered.sms
            row.sms_parts = sms_parts(rendered.sms)
        else:  # in-app: there is nothing to deliver; it is in the inbox once committed
            row.state, row.sent_at = DeliveryState.SENT, utcnow()
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    for row in rows:
        if row.state == DeliveryState.QUEUED:
            enqueue_batched(DELIVER_ALL, row.id, queue="high")
    return rows


def inbox_query(user: User, unread_only: bool = False) -> sa.Select:
    query = sa.select(Notification).where(
        Notification.user_id == user.id, Notification.channel == Channel.IN_APP
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return query.order_by(Notification.id.desc())


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's in-app notices read; anyone else's is 404."""
    row = db.session.scalar(inbox_query(user).where(Notification.id == notification_id))
    if row is None:
        raise NotFound()
    if row.read_at is None:
        row.read_at = utcnow()
    return row


def delivery_log_query(
    staff: User, subject: tuple[str, str] | None, state: str | None
) -> sa.Select:
    """The delivery rows of the staff member's authority, for one subject and/or one state. The
    subject is `(kind, id)` as notices store it, or with the record's database id where the
    feature registered its name (`application:42` and `application:NBG-2026-000042` alike)."""
    query = sa.select(Notification).where(Notification.authority_id == staff.authority_id)
    if subject:
        kind, identifier = subject
        query = query.where(
            Notification.subject_type == kind,
            Notification.subject_id.in_(subject_ids(kind, identifier)),
        )
    if state:
        query = query.where(Notification.state == state)
    return query.order_by(Notification.id)
