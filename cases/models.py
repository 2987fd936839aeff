"""The public's requests that are not licences: complaints, suggestions, comments, inquiries and
support tickets (one `cases` table, a `kind` column), with their timeline, thread and evidence."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.authorities.models import Authority, Department
from app.catalogue.models import Service
from app.extensions import db
from app.models import SlaTracked, StoredFileColumns, TimelineEntry, Timestamped
from app.moderation import Moderated
from app.timeutil import UTCDateTime, utcnow

# The states in which the next move is the staff's: what the escalation sweep looks at.
WAITING_ON_STAFF_SQL = "state IN ('received', 'acknowledged', 'in_study', 'escalated')"
REPLY_DUE_SQL = "reply_due_since IS NOT NULL"
QUEUE_KEY = (sa.text("(sla_due_date IS NULL)"), "sla_due_date", "id")


class Case(SlaTracked, Moderated, Timestamped, db.Model):
    """One request of the public to one authority, handled by one of its departments.

    The person is the account it belongs to (`person_id`), or, for an inquiry without an account
    or a walk-in without one, the contact given (`contact_*`), whose notices go to a contact
    account (`contact_account_id`, `cases.contacts`). The SLA target is the kind's catalogue
    service's, copied when the case is received. A case forwarded to another authority stops
    (`forwarded`) and the receiving authority handles its own case, `forwarded_from_id` linking
    it back.
    """

    __tablename__ = "cases"
    __table_args__ = (
        sa.Index("ix_cases_queue", "authority_id", *QUEUE_KEY),
        sa.Index("ix_cases_person", "person_id", "id"),
        sa.Index(
            "ix_cases_waiting",
            "service_id",
            "last_action_at",
            postgresql_where=sa.text(WAITING_ON_STAFF_SQL),
            sqlite_where=sa.text(WAITING_ON_STAFF_SQL),
        ),
        # The escalation ladder's (app/escalation/sources.py): waiting cases by due date, and the
        # person's unanswered messages on answered cases by their time.
        sa.Index(
            "ix_cases_waiting_due",
            "service_id",
            "sla_due_date",
            postgresql_where=sa.text(WAITING_ON_STAFF_SQL),
            sqlite_where=sa.text(WAITING_ON_STAFF_SQL),
        ),
        sa.Index(
            "ix_cases_reply_due",
            "service_id",
            "reply_due_since",
            postgresql_where=sa.text(REPLY_DUE_SQL),
            sqlite_where=sa.text(REPLY_DUE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(30), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # cases.kinds.Kind
    # cases.lifecycle.State, written by app.workflow.fire() only
    state: Mapped[str] = mapped_column(sa.String(15), default="received")
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    service_id: Mapped[int] = mapped_column(sa.ForeignKey("services.id"))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    contact_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    contact_name: Mapped[str | None] = mapped_column(sa.String(200))
    contact_email: Mapped[str | None] = mapped_column(sa.String(254))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(16))
    # An anonymous inquirer reads the answer with a secret token: only its SHA-256 is kept.
    access_token_hash: Mapped[str | None] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(20), default="portal")
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    subject: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text)
    category: Mapped[str | None] = mapped_column(sa.String(60))
    classification: Mapped[str] = mapped_column(sa.String(15), default="confidential")
    incident_place: Mapped[str | None] = mapped_column(sa.String(300))
    incident_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    latitude: Mapped[float | None] = mapped_column(sa.Float)  # WGS-84, from Open311 clients
    longitude: Mapped[float | None] = mapped_column(sa.Float)
    party_kind: Mapped[str | None] = mapped_column(sa.String(10))  # person or company
    party_name: Mapped[str | None] = mapped_column(sa.String(200))
    party_cr_number: Mapped[str | None] = mapped_column(sa.String(20))
    tajawob_reference: Mapped[str | None] = mapped_column(sa.String(40))
    decision: Mapped[str | None] = mapped_column(sa.String(20))  # suggestions: accepted...
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answer_language: Mapped[str | None] = mapped_column(sa.String(2))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reopen_count: Mapped[int] = mapped_column(default=0)
    forwarded_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    forwarded_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    last_action_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The person's first message the staff have not answered yet (in the thread or by a step):
    # its reply target is the service's escalation threshold (app.escalation.sources).
    reply_due_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    authority: Mapped[Authority] = relationship()
    service: Mapped[Service] = relationship()
    department: Mapped[Department] = relationship()
    person: Mapped[User | None] = relationship(foreign_keys=[person_id])
    contact_account: Mapped[User | None] = relationship(foreign_keys=[contact_account_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    filed_by: Mapped[User | None] = relationship(foreign_keys=[filed_by_id])
    events: Mapped[list[CaseEvent]] = relationship(order_by="CaseEvent.id", back_populates="case")

    @property
    def recipient(self) -> User | None:
        """Whom the person's notices go to: the account, or the contact account."""
        return self.person or self.contact_account


class CaseEvent(TimelineEntry, db.Model):
    """One step of a case's timeline."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    from_state: Mapped[str] = mapped_column(sa.String(15))
    to_state: Mapped[str] = mapped_column(sa.String(15))

    case: Mapped[Case] = relationship(back_populates="events")


class CaseMessage(db.Model):
    """The thread between the person and the staff about one case."""

    __tablename__ = "case_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    author_role: Mapped[str] = mapped_column(sa.String(20))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CaseEvidence(StoredFileColumns, db.Model):
    """A file given with a case (a photo, a document), stored under a name we chose."""

    __tablename__ = "case_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))


class Open311Key(db.Model):
    """A civic app's key for filing requests through Open311 (`cases.open311`): only its
    SHA-256 is kept; shown once when an admin makes it."""

    __tablename__ = "open311_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
