"""Reply targets on application threads (issue 14, North Al Batinah's 1-working-day response):
an applicant's message tells the staff who must answer and is due an answer within
MESSAGE_REPLY_WORKING_DAYS working days of the authority's calendar; the staff's next message on
the thread answers every message waiting; one still unanswered after its target day is escalated
once, like an idle application (licensing.escalation, whose daily job runs this sweep too).

Who is told of a new message: the assigned inspector, or, when nobody is assigned, the
authority's department heads, in-app and by e-mail. Who is told of an overdue one: whoever the
service names for escalations (the department heads by default), in-app, by e-mail and by SMS.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from app.accounts.models import Role, User
from app.audit import record_change
from app.calendar.services import calendar_for
from app.catalogue.models import Service
from app.extensions import db
from app.notifications.models import Channel
from app.notifications.services import notify
from app.timeutil import MUSCAT, utcnow
from licensing.lifecycle import FINAL
from licensing.models import Application, ApplicationMessage

log = logging.getLogger(__name__)
RECEIVED = "message_received"
OVERDUE = "reply_overdue"
NEW_MESSAGE_CHANNELS = (Channel.EMAIL, Channel.IN_APP)


def reply_due_date(application: Application, now: dt.datetime) -> dt.date:
    """The Muscat date by which a message written `now` should be answered."""
    today = now.astimezone(MUSCAT).date()
    days = current_app.config["MESSAGE_REPLY_WORKING_DAYS"]
    return calendar_for(application.authority_id).add(today, days)


def applicant_wrote(application: Application, message: ApplicationMessage) -> None:
    """Give the applicant's message its reply target and tell the staff who must answer."""
    message.reply_due_date = reply_due_date(application, message.created_at or utcnow())
    context = {
        "reference": application.reference,
        "service_ar": application.service.name_ar,
        "service_en": application.service.name_en,
        "reply_due": message.reply_due_date.isoformat(),
    }
    for person in _who_answers(application):
        notify(
            person,
            RECEIVED,
            context,
            subject=("application", application.reference),
            authority_id=application.authority_id,
            channels=NEW_MESSAGE_CHANNELS,
        )


def _who_answers(application: Application) -> list[User]:
    """The assigned inspector if active, else the authority's active department heads."""
    if application.assignee is not None and application.assignee.is_active:
        return [application.assignee]
    return list(
        db.session.scalars(
            sa.select(User)
            .where(
                User.authority_id == application.authority_id,
                User.role == Role.DEPARTMENT_HEAD,
                User.is_active,
            )
            .order_by(User.id)
        )
    )


def staff_answered(application: Application, now: dt.datetime) -> None:
    """Staff wrote on the thread: every applicant message waiting on it is answered (one
    UPDATE)."""
    db.session.execute(
        sa.update(ApplicationMessage)
        .where(
            ApplicationMessage.application_id == application.id,
            ApplicationMessage.reply_due_date.is_not(None),
            ApplicationMessage.answered_at.is_(None),
        )
        .values(answered_at=now)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class UnansweredThread:
    """An application whose applicant's message is unanswered past its target: its oldest one."""

    id: int
    reference: str
    authority_id: int
    service_ar: str
    service_en: str
    escalate_to: str  # a Role value
    assignee: str | None
    written_on: dt.date
    reply_due: dt.date
    message_ids: tuple[int, ...]


def unanswered_threads(today: dt.date) -> list[UnansweredThread]:
    """Every open application with an applicant's message unanswered and not escalated whose
    reply target day is before `today` (a Muscat date), in application order; one statement
    (the partial index of messages awaiting a reply is its way in)."""
    m, a = ApplicationMessage, Application
    assignee = aliased(User, name="assignee")
    rows = db.session.execute(
        sa.select(
            m.id,
            m.created_at,
            m.reply_due_date,
            a.id.label("application_id"),
            a.reference,
            a.authority_id,
            Service.name_ar,
            Service.name_en,
            sa.func.coalesce(Service.escalate_to, Role.DEPARTMENT_HEAD.value).label("escalate_to"),
            assignee.name.label("assignee"),
        )
        .join(a, a.id == m.application_id)
        .join(Service, Service.id == a.service_id)
        .outerjoin(assignee, assignee.id == a.assignee_id)
        .where(
            m.reply_due_date.is_not(None),
            m.answered_at.is_(None),
            m.escalated_at.is_(None),
            m.reply_due_date < today,
            a.state.notin_([s.value for s in FINAL]),
        )
        .order_by(a.id, m.id)
    ).all()
    threads: dict[int, dict[str, Any]] = {}
    for row in rows:
        thread = threads.setdefault(
            row.application_id,
            {
                "id": row.application_id,
                "reference": row.reference,
                "authority_id": row.authority_id,
                "service_ar": row.name_ar,
                "service_en": row.name_en,
                "escalate_to": Role(row.escalate_to).value,
                "assignee": row.assignee,
                "written_on": row.created_at.astimezone(MUSCAT).date(),
                "reply_due": row.reply_due_date,
                "message_ids": (),
            },
        )
        thread["message_ids"] += (row.id,)
    return [UnansweredThread(**thread) for thread in threads.values()]


def escalate_unanswered_messages(now: dt.datetime | None = None) -> int:
    """Periodic (with the idle applications' sweep): escalate each application whose applicant's
    message is unanswered past its target, once per message, in the job's unit of work. Returns
    how many applications."""
    from licensing.escalation import NOBODY_ASSIGNED, recipients_of, write_notices

    now = now or utcnow()
    found = unanswered_threads(now.astimezone(MUSCAT).date())
    if not found:
        return 0
    ids = [message_id for thread in found for message_id in thread.message_ids]
    db.session.execute(
        sa.update(ApplicationMessage)
        .where(ApplicationMessage.id.in_(ids))
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )

    def context(thread: UnansweredThread) -> dict[str, Any]:
        return {
            "reference": thread.reference,
            "service_ar": thread.service_ar,
            "service_en": thread.service_en,
            "written_on": thread.written_on.isoformat(),
            "reply_due": thread.reply_due.isoformat(),
            "assignee": thread.assignee or NOBODY_ASSIGNED,
        }

    told = write_notices(found, recipients_of(found), now, event=OVERDUE, context=context)
    for thread in found:
        record_change(
            "application.reply_overdue",
            "application",
            thread.reference,
            authority_id=thread.authority_id,
            after={
                "message_ids": list(thread.message_ids),
                "reply_due": thread.reply_due.isoformat(),
                "recipients": told[thread.id],
            },
        )
    log.info("unanswered messages escalated", extra={"count": len(found)})
    return len(found)
