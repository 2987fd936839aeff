"""Pieces shared by every model: ids, timestamps."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from app.calendar.workdays import WorkingCalendar
from app.extensions import db
from app.sla import SlaClock, SlaStatus, SlaUnit
from app.timeutil import UTCDateTime, utcnow


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SlaTracked:
    """The SLA clock (`app.sla.SlaClock`) of a record, kept in columns, with its due date
    stored for work queues. The record has an `authority_id`, whose calendar counts the days:
    the app's lookup `app.extensions["calendar_for"]` (`app.calendar.services.init_calendar`)
    finds it, since the calendar's own tables stand on this module and it cannot import them.

    The target's unit is `sla_unit` (`app.sla.SlaUnit`): `working_days` (`sla_target_days`,
    pauses in `sla_paused_days`), `working_minutes` (`sla_target_minutes`, pauses in
    `sla_paused_minutes`; `sla_target_days` is 0 and means nothing) or `none` (no target;
    `sla_target_days` 0, no due date). `sla_due_date` is the due date (of a minute target: the
    Muscat date of its due moment), so the queues' bands work for both; `sla_due_at` is the due
    moment of a minute target (UTC), NULL for the other units."""

    sla_target_days: Mapped[int]
    sla_unit: Mapped[str] = mapped_column(
        sa.String(20), default=SlaUnit.WORKING_DAYS.value, server_default="working_days"
    )
    sla_target_minutes: Mapped[int | None]
    sla_paused_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_paused_days: Mapped[int] = mapped_column(default=0)
    sla_stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_due_date: Mapped[date | None] = mapped_column(sa.Date)

    @staticmethod
    def target_of(service) -> dict[str, object]:
        """The columns a record copies from its service's target (`app.catalogue` `Service`)."""
        return {
            "sla_unit": service.sla_unit or SlaUnit.WORKING_DAYS.value,
            "sla_target_days": service.sla_days or 0,
            "sla_target_minutes": service.sla_minutes,
        }

    @property
    def clock(self) -> SlaClock:
        return SlaClock(
            self.sla_target_days,
            self.sla_started_at,
            self.sla_paused_at,
            self.sla_paused_days or 0,
            self.sla_stopped_at,
            SlaUnit(self.sla_unit or SlaUnit.WORKING_DAYS),
            self.sla_target_minutes,
            self.sla_paused_minutes or 0,
        )

    @clock.setter
    def clock(self, clock: SlaClock) -> None:
        self.sla_started_at, self.sla_paused_at = clock.started_at, clock.paused_at
        self.sla_paused_days, self.sla_stopped_at = clock.paused_days, clock.stopped_at
        self.sla_paused_minutes = clock.paused_minutes

    def move_clock(self, effect: str | None, now: datetime) -> None:
        """Start, pause, resume or stop the clock (an effect the state does not allow is a no-op,
        e.g. stopping a clock that never started), and store the due date (and moment) anew."""
        clock, calendar = self.clock, self.working_calendar()
        if effect == "start" and clock.started_at is None:
            clock = clock.start(now)
        elif effect == "pause" and clock.running:
            clock = clock.pause(now)
        elif effect == "resume" and clock.paused_at is not None:
            clock = clock.resume(now, calendar)
        elif effect == "stop" and clock.started_at is not None and clock.stopped_at is None:
            clock = clock.stop(now, calendar)
        self.clock = clock
        self.sla_due_date = clock.due_date(calendar, now)
        self.sla_due_at = clock.due_at(calendar, now)

    def sla_status(self, now: datetime | None = None) -> SlaStatus:
        return self.clock.status(self.working_calendar(), now or utcnow())

    def working_calendar(self) -> WorkingCalendar:
        """The working calendar of the record's authority, under the authority's calendar version
        when the record came with its authority loaded (no statement to read the version; never
        a load of the authority to find it)."""
        authority = sa.inspect(self).dict.get("authority")
        version, authority_id = None, self.authority_id
        if authority is not None:
            version = sa.inspect(authority).dict.get("calendar_version")
            if authority_id is None:  # a new record given its authority, not yet flushed
                authority_id = authority.id
        return current_app.extensions["calendar_for"](authority_id, version)


class TimelineEntry:
    """One step of a record's timeline (applications, refunds): when, who (a user, or "system"
    for our own code), what, from which state to which, and why. The model adds the owner's key
    and its own `from_state` and `to_state` columns."""

    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_role: Mapped[str] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(30))
    note: Mapped[str | None] = mapped_column(sa.Text)

    @declared_attr
    def actor_id(cls) -> Mapped[int | None]:
        return mapped_column(sa.ForeignKey("users.id"))

    @classmethod
    def add(cls, actor, action: str, source: str, target: str, note: str | None, **owner) -> None:
        """Write the step into the current transaction; `owner` names the record it belongs to."""
        system = isinstance(actor, str)
        db.session.add(
            cls(
                actor_id=None if system else actor.id,
                actor_role=actor if system else actor.role.value,
                action=action,
                from_state=str(source),
                to_state=str(target),
                note=note,
                **owner,
            )
        )


class StoredFileColumns:
    """What we keep of a file stored under a name we generated (`app.files.storage`)."""

    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    storage_key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
