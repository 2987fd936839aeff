"""The ladder's notices: the outbox rows `notify()` would write, for every escalation fired, every
person its target names and exactly the target's channels, in each person's language; in one
INSERT whatever their number, their deliveries queued after commit, `DELIVERY_BATCH` e-mails and
SMS a job."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.notifications.models import Channel, DeliveryState, Notification
from app.notifications.services import ALL_CHANNELS, DELIVER_ALL
from app.notifications.sms_text import sms_parts
from app.notifications.templates import Rendered, render
from jobs import enqueue

AT_RISK, ESCALATED = "sla_at_risk", "sla_escalated"
# E-mails and SMS delivered per job: one job per notice would cost a job hand-off each (about
# 10 ms to Redis), and a sweep may write tens of thousands.
DELIVERY_BATCH = 50


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    language: str


@dataclass(frozen=True)
class Notice:
    """What one escalation tells whom: its template's event and variables, the people, the
    channels (`Channel` values), and the record the notices are about."""

    event: str
    context: dict[str, Any]
    people: tuple[Person, ...]
    channels: tuple[str, ...]
    authority_id: int
    subject_type: str
    subject_id: str


def write_notices(notices: Iterable[Notice], now: datetime) -> int:
    """Every notice's outbox rows in one INSERT, e-mails and SMS delivered after commit; the
    channels in the order `notify()` writes them. Returns how many rows."""
    rows: list[dict[str, Any]] = []
    for notice in notices:
        texts: dict[str, Rendered] = {}
        channels = [channel for channel in ALL_CHANNELS if channel.value in notice.channels]
        for person in notice.people:
            if person.language not in texts:
                texts[person.language] = render(notice.event, person.language, notice.context)
            for channel in channels:
                rows.append(_row(notice, person, channel, texts[person.language], now))
    if not rows:
        return 0
    # The ids are taken first so that the rows go in one executemany without RETURNING: with
    # it, the driver parses one statement of 16 parameters a row (some 40 times slower).
    for row, notification_id in zip(rows, _new_notification_ids(len(rows)), strict=True):
        row["id"] = notification_id
    # render_nulls: NULL written as NULL, else the ORM leaves those columns out and splits the
    # rows into one statement per set of columns.
    db.session.execute(sa.insert(Notification).execution_options(render_nulls=True), rows)
    deliveries = [row["id"] for row in rows if row["channel"] != Channel.IN_APP]
    for first in range(0, len(deliveries), DELIVERY_BATCH):
        enqueue(DELIVER_ALL, deliveries[first : first + DELIVERY_BATCH], queue="high")
    return len(rows)


def _new_notification_ids(count: int) -> list[int]:
    """`count` ids for new notification rows, in one statement."""
    if db.session.get_bind().dialect.name == "postgresql":
        sequence = sa.func.pg_get_serial_sequence(Notification.__tablename__, "id")
        numbers = sa.func.generate_series(1, count).table_valued("n")
        return list(db.session.scalars(sa.select(sa.func.nextval(sequence)).select_from(numbers)))
    # SQLite gives a new row the largest id plus one; one writer at a time, and this transaction
    # already writes (it fired the escalations), so no other takes these ids meanwhile.
    largest = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def _row(
    notice: Notice, person: Person, channel: Channel, text: Rendered, now: datetime
) -> dict[str, Any]:
    """One outbox row as `app.notifications.services.notify` writes it; every row has every
    key, so that the rows go in one INSERT."""
    in_app = channel == Channel.IN_APP
    return {
        "user_id": person.id,
        "authority_id": notice.authority_id,
        "channel": channel,
        "event": notice.event,
        "language": person.language,
        "subject_type": notice.subject_type,
        "subject_id": notice.subject_id,
        "title": text.title[:300],
        "body_text": text.sms if channel == Channel.SMS else text.text,
        "body_html": text.html if channel == Channel.EMAIL else None,
        "sms_parts": sms_parts(text.sms) if channel == Channel.SMS else None,
        "attachments": [],
        "attempts": 0,
        "state": DeliveryState.SENT if in_app else DeliveryState.QUEUED,
        "sent_at": now if in_app else None,
        "created_at": now,
    }
