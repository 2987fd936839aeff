"""Use cases of announcements: moderators announce news of their authority (admins: of all), and
withdraw it; the public reads what is published, with the maintenance windows beside it.

Writes go into the caller's unit of work (`app.uow`), which commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.accounts.consent import MARKETING_SMS, consenting
from app.accounts.models import Role, User
from app.audit import record_change
from app.authorities.models import Authority
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.maintenance.models import MaintenanceWindow
from app.maintenance.services import announced_windows
from app.notifications.models import Channel
from app.notifications.services import notify
from app.timeutil import utcnow
from faq.models import Announcement
from jobs import enqueue

SUBJECT = "announcement"
ANNOUNCERS = (Role.DEPARTMENT_HEAD, Role.ADMIN)
ALL_NEEDS_ADMIN = N_("Only an admin may announce to all authorities.")
SMS_NEEDS_NOW = N_("The SMS goes out when the news is announced: announce it at its time.")
SMS_BATCH = 500


def announce(author: User, data: dict[str, Any]) -> Announcement:
    """News of the author's authority, or of all (`all_authorities`, admins only: 403 for a
    department head), shown from `publish_at` (now when not given)."""
    everyone = bool(data.get("all_authorities"))
    if everyone and author.role != Role.ADMIN:
        raise Forbidden(detail=ALL_NEEDS_ADMIN)
    announcement = Announcement(
        authority_id=None if everyone else author.authority_id,
        title_ar=data["title_ar"],
        title_en=data["title_en"],
        body_ar=data["body_ar"],
        body_en=data["body_en"],
        publish_at=data.get("publish_at") or utcnow(),
        created_by_id=author.id,
    )
    if data.get("sms_subscribers") and announcement.publish_at > utcnow():
        raise ValidationFailed({"sms_subscribers": [SMS_NEEDS_NOW]})
    db.session.add(announcement)
    db.session.flush()
    if data.get("sms_subscribers"):
        enqueue("faq.announcements.send_announcement_sms", announcement.id)
    record_change(
        "announcement.published",
        SUBJECT,
        announcement.id,
        authority_id=author.authority_id,
        after=_view(announcement),
    )
    return announcement


def withdraw(author: User, announcement_id: int) -> None:
    """Take an announcement of the author's authority (admins: or of all) out of public view;
    kept, marked withdrawn, for the record. 404 for another's or one already withdrawn."""
    announcement = db.session.scalar(
        sa.select(Announcement).where(Announcement.id == announcement_id).with_for_update()
    )
    own = (author.authority_id,) if author.role != Role.ADMIN else (author.authority_id, None)
    if announcement is None or announcement.withdrawn_at or announcement.authority_id not in own:
        raise NotFound()
    before = _view(announcement)
    announcement.withdrawn_at = utcnow()
    record_change(
        "announcement.withdrawn",
        SUBJECT,
        announcement.id,
        authority_id=author.authority_id,
        before=before,
        after=_view(announcement),
    )


def _shown(query: sa.Select, authority_code: str | None) -> sa.Select:
    query = query.where(Announcement.publish_at <= utcnow(), Announcement.withdrawn_at.is_(None))
    if authority_code:
        # An authority's list holds the news for all authorities too.
        query = query.outerjoin(Authority).where(
            sa.or_(Announcement.authority_id.is_(None), Authority.code == authority_code.upper())
        )
    return query.options(selectinload(Announcement.authority))


def published_announcements(authority_code: str | None) -> sa.Select:
    """Announcements published by now and not withdrawn, newest first."""
    return _shown(sa.select(Announcement), authority_code).order_by(
        Announcement.publish_at.desc(), Announcement.id.desc()
    )


def find_announcement(announcement_id: int) -> Announcement:
    """A published, not withdrawn announcement; 404 otherwise (a future one is not news yet)."""
    found = db.session.scalar(
        _shown(sa.select(Announcement), None).where(Announcement.id == announcement_id)
    )
    if found is None:
        raise NotFound()
    return found


@dataclass(frozen=True)
class FeedItem:
    """One entry of the announcements feed: an announcement, or a maintenance window."""

    kind: str  # "announcement" or "maintenance"
    record: Announcement | MaintenanceWindow
    at: datetime  # when it was made public: the publish time, or the window's announcement


def announcement_feed(authority_code: str | None, limit: int) -> list[FeedItem]:
    """The newest `limit` announcements and maintenance windows (running or to come, as
    `GET /announcements` lists them), most recently published first."""
    news = db.session.scalars(published_announcements(authority_code).limit(limit))
    windows = db.session.scalars(
        announced_windows(authority_code)
        .order_by(None)
        .order_by(MaintenanceWindow.created_at.desc(), MaintenanceWindow.id.desc())
        .options(selectinload(MaintenanceWindow.authority))
        .limit(limit)
    )
    items = [FeedItem("announcement", a, a.publish_at) for a in news]
    items += [FeedItem("maintenance", w, w.created_at) for w in windows]
    items.sort(key=lambda item: (item.at, item.kind, item.record.id), reverse=True)
    return items[:limit]


def _view(announcement: Announcement) -> dict[str, Any]:
    return {
        "authority_id": announcement.authority_id,
        "title_ar": announcement.title_ar,
        "title_en": announcement.title_en,
        "body_ar": announcement.body_ar,
        "body_en": announcement.body_en,
        "publish_at": announcement.publish_at.isoformat(),
        "withdrawn_at": announcement.withdrawn_at.isoformat()
        if announcement.withdrawn_at
        else None,
    }


def send_announcement_sms(announcement_id: int) -> int:
    """Job: the announcement's title by SMS to every person with a live `marketing_sms` consent
    (app.accounts.consent), read now, so that a consent withdrawn before the job runs is not
    sent to; nothing for a withdrawn announcement. Returns how many were written."""
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None or announcement.withdrawn_at is not None:
        return 0
    context = {"title_ar": announcement.title_ar, "title_en": announcement.title_en}
    sent = 0
    for user in db.session.scalars(
        consenting(MARKETING_SMS).execution_options(yield_per=SMS_BATCH)
    ):
        notify(
            user,
            "announcement_sms",
            context,
            subject=(SUBJECT, announcement.id),
            authority_id=announcement.authority_id,
            channels=(Channel.SMS,),
        )
        sent += 1
    return sent
