"""Reply targets on application threads (issue 14, North Al Batinah's 1-working-day response):
an applicant's message tells the staff who must answer and is due an answer within
MESSAGE_REPLY_WORKING_DAYS working days of the authority's calendar; the staff's next message on
the thread answers every message waiting; one still unanswered after its target day climbs the
escalation ladder like an idle application (app.escalation.sources.messages).

Who is told of a new message: the assigned inspector, or, when nobody is assigned, the
authority's department heads, in-app and by e-mail. Who is told of an overdue one: the ladder's
(the service's position, then the authority's director), by the service's channels.
"""

from __future__ import annotations

import datetime as dt
import logging

import sqlalchemy as sa
from flask import current_app

from app.accounts.models import Role, User
from app.calendar.services import calendar_for
from app.extensions import db
from app.notifications.models import Channel
from app.notifications.services import notify
from app.timeutil import MUSCAT, utcnow
from licensing.models import Application, ApplicationMessage

log = logging.getLogger(__name__)
RECEIVED = "message_received"
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
