"""Applications, their timeline and messages, uploaded documents, and the licence register."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.accounts.models import User
from app.authorities.models import Authority
from app.catalogue.models import Service
from app.extensions import db
from app.models import SlaTracked, StoredFileColumns, TimelineEntry, Timestamped
from app.timeutil import UTCDateTime, utcnow

# The states in which the next move is the staff's (app.escalation.sources.APPLICATION_WAITING).
WAITING_ON_STAFF_SQL = (
    "state IN ('submitted', 'in_review', 'inspection_scheduled', 'inspected', 'approved')"
)

# Written as the queries write them (`-applications.priority`), so both databases match the
# query's ORDER BY and filters to the indexes. The SLA band first (licensing.queue_bands:
# breached, at risk, on track, no due date), then at equal band a priority applicant's
# application (`-priority`, so that the key stays ascending throughout, app.pagination.Keyset),
# then the due date and the id. The due date is NULL only in the last band.
QUEUE_KEY = ("queue_band", sa.text("(-priority)"), "sla_due_date", "id")
RUNNING_CLOCK = "sla_started_at IS NOT NULL AND sla_stopped_at IS NULL AND sla_paused_at IS NULL"


class Application(SlaTracked, Timestamped, db.Model):
    """One request for one catalogue service, by one applicant, moving through the lifecycle.

    The fee, the SLA target and the list of required documents are copied from the catalogue
    when the application is made, so a later change to the catalogue applies to new applications
    only.
    """

    __tablename__ = "applications"
    # The staff queue's order (`licensing.services.QUEUE_ORDER`: due date, none last, then id),
    # after the authority, or after what a filter of the queue fixes: each page an index range.
    __table_args__ = (
        # The queue's band says "no due date" exactly when there is none (licensing.queue_bands):
        # the queue's cursor relies on it.
        sa.CheckConstraint(
            "(queue_band = 3) = (sla_due_date IS NULL)", name="queue_band_of_due_date"
        ),
        sa.Index("ix_applications_queue", "authority_id", *QUEUE_KEY),
        sa.Index("ix_applications_queue_state", "authority_id", "state", *QUEUE_KEY),
        sa.Index("ix_applications_queue_family", "authority_id", "family", *QUEUE_KEY),
        sa.Index("ix_applications_queue_service", "service_id", *QUEUE_KEY),
        sa.Index("ix_applications_queue_assignee", "assignee_id", *QUEUE_KEY),
        sa.Index(
            "ix_applications_queue_running",
            "authority_id",
            *QUEUE_KEY,
            postgresql_where=sa.text(RUNNING_CLOCK),
            sqlite_where=sa.text(RUNNING_CLOCK),
        ),
        sa.Index("ix_applications_applicant", "applicant_id", "id"),
        # The escalation ladder's way in (app/escalation/sources.py): the applications waiting on
        # the staff, by service and last action.
        sa.Index(
            "ix_applications_waiting",
            "service_id",
            "last_action_at",
            postgresql_where=sa.text(WAITING_ON_STAFF_SQL),
            sqlite_where=sa.text(WAITING_ON_STAFF_SQL),
        ),
        # The escalation ladder's way to the waiting applications at risk or breached
        # (app/escalation/sources.py): by service and due date.
        sa.Index(
            "ix_applications_waiting_due",
            "service_id",
            "sla_due_date",
            postgresql_where=sa.text(WAITING_ON_STAFF_SQL),
            sqlite_where=sa.text(WAITING_ON_STAFF_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    licence_id: Mapped[int | None] = mapped_column(sa.ForeignKey("licences.id"))
    family: Mapped[str] = mapped_column(sa.String(30))
    action: Mapped[str] = mapped_column(sa.String(10))
    # licensing.lifecycle.State, written by app.workflow.fire() only
    state: Mapped[str] = mapped_column(sa.String(25), default="draft")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    fee_baisa: Mapped[int]
    # [{"code", "name_ar", "name_en", "mandatory"}], in the catalogue's order, as when it was made.
    required_documents: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    inspection_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    rejection_reason_ar: Mapped[str | None] = mapped_column(sa.Text)
    rejection_reason_en: Mapped[str | None] = mapped_column(sa.Text)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_action_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # 1: its applicant's priority category (elderly, disability) is verified; 0: none. Copied
    # from the applicant when the application is made and set on the open ones when a
    # declaration is verified or revoked (app.accounts.priority), so the queue's index orders it.
    # Staff only: an applicant's answers leave it out (licensing.schemas).
    priority: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    # licensing.queue_bands: the band of the due date today, kept with every due date written
    # (`_keep_band`) and moved by the periodic refresh when the day turns.
    queue_band: Mapped[int] = mapped_column(sa.SmallInteger, default=3, server_default="3")
    authority: Mapped[Authority] = relationship()
    service: Mapped[Service] = relationship()
    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    licence: Mapped[Licence | None] = relationship(foreign_keys=[licence_id])
    events: Mapped[list[ApplicationEvent]] = relationship(
        order_by="ApplicationEvent.id", back_populates="application"
    )

    @classmethod
    def with_due_date(cls, due: sa.ColumnElement, today: dt.date) -> dict[str, Any]:
        """What a set-based UPDATE of due dates writes besides (app.calendar.services): the
        band of each new due date, in the same statement."""
        from licensing.queue_bands import band_in_sql

        return {"queue_band": band_in_sql(due, cls.authority_id, today)}

    @classmethod
    def due_dates_moved(cls, authority_ids: list[int]) -> None:
        """The calendar moved stored due dates in one UPDATE (app.calendar.services): their
        bands follow."""
        from licensing.queue_bands import refresh_queue_bands

        refresh_queue_bands(authority_ids)

    @validates("sla_due_date")
    def _keep_band(self, key: str, due: dt.date | None) -> dt.date | None:
        from licensing.queue_bands import NO_DUE_DATE, band_of, muscat_today

        band = NO_DUE_DATE
        if due is not None:
            today = muscat_today()
            band = band_of(due, today, self.working_calendar().add(today, 1))
        if self.queue_band != band:  # an equal value would still be written
            self.queue_band = band
        return due


class ApplicationEvent(TimelineEntry, db.Model):
    """One step of an application's timeline: a transition, with who, when and why."""

    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    from_state: Mapped[str] = mapped_column(sa.String(25))
    to_state: Mapped[str] = mapped_column(sa.String(25))

    application: Mapped[Application] = relationship(back_populates="events")


# The messages the reply-target sweep looks at (licensing.reply_targets): an applicant's, not yet
# answered by staff nor escalated.
AWAITING_REPLY_SQL = "reply_due_date IS NOT NULL AND answered_at IS NULL AND escalated_at IS NULL"
UNANSWERED_SQL = "reply_due_date IS NOT NULL AND answered_at IS NULL"


class ApplicationMessage(db.Model):
    """The thread between the applicant and staff about one application. An applicant's message
    has a reply target (`reply_due_date`, MESSAGE_REPLY_WORKING_DAYS working days on); the staff's
    next message on the thread answers it, and the sweep escalates it once past its target."""

    __tablename__ = "application_messages"
    __table_args__ = (
        sa.Index(
            "ix_application_messages_awaiting_reply",
            "reply_due_date",
            postgresql_where=sa.text(AWAITING_REPLY_SQL),
            sqlite_where=sa.text(AWAITING_REPLY_SQL),
        ),
        # The escalation ladder's (app/escalation/sources.py): every message still unanswered,
        # escalated or not (its levels climb), by reply target.
        sa.Index(
            "ix_application_messages_unanswered",
            "reply_due_date",
            postgresql_where=sa.text(UNANSWERED_SQL),
            sqlite_where=sa.text(UNANSWERED_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(sa.String(20))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The Muscat date by which staff should answer (applicants' messages only).
    reply_due_date: Mapped[dt.date | None] = mapped_column(sa.Date)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Document(StoredFileColumns, db.Model):
    """A file an applicant uploaded for an application, stored under a name we chose."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"), index=True)
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    document_code: Mapped[str] = mapped_column(sa.String(60))


class Licence(Timestamped, db.Model):
    """An entry of the licence register: numbered per authority per year without gaps."""

    __tablename__ = "licences"
    __table_args__ = (sa.Index("ix_licences_expiry", "state", "valid_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    family: Mapped[str] = mapped_column(sa.String(30))
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    holder_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id", use_alter=True))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    valid_from: Mapped[dt.date] = mapped_column(sa.Date)
    valid_until: Mapped[dt.date] = mapped_column(sa.Date)
    # licensing.licence_lifecycle.LicenceState, written by app.workflow.fire() only
    state: Mapped[str] = mapped_column(sa.String(15), default="active")
    verification_code: Mapped[str] = mapped_column(sa.String(40))
    document_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    document_key: Mapped[str | None] = mapped_column(sa.String(100))
    reminders_sent: Mapped[list[int]] = mapped_column(sa.JSON, default=list)

    authority: Mapped[Authority] = relationship()
    service: Mapped[Service] = relationship()
    holder: Mapped[User] = relationship()


class LicenceRevision(db.Model):
    """What a renewal, amendment or cancellation changed on a licence: before and after."""

    __tablename__ = "licence_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(sa.ForeignKey("licences.id"), index=True)
    application_id: Mapped[int] = mapped_column(sa.ForeignKey("applications.id"))
    action: Mapped[str] = mapped_column(sa.String(10))
    before: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
