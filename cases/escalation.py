"""Escalation of idle cases, as applications are (`licensing.escalation`): a case waiting on the
staff with no action for its service's `escalation_days` working days is escalated to the heads
of the handling department, in-app, by e-mail and by SMS; once per idle spell (any action starts
a new one). Run daily at the time of the applications' sweep (jobs/schedule.py).

A message of the person the staff leave unanswered escalates the same way (its reply target is
the same threshold, counted from the message), whatever the case's state.

Set-based: two statements find the idle cases with their idle working days (the calendar's
`calendar_days` table: today's working-day number minus the last action's, or the unanswered
message's, day's), one UPDATE marks them; then the notices (one look-up of heads per department)
and an audit row per case.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.audit import record_change
from app.calendar.sql import DAYS, muscat_day
from app.catalogue.models import Service
from app.extensions import db
from app.timeutil import MUSCAT, utcnow
from cases import notices
from cases.models import Case

log = logging.getLogger(__name__)
WAITING_STATES = ("received", "acknowledged", "in_study", "escalated")


@dataclass(frozen=True)
class IdleCase:
    id: int
    reference: str
    authority_id: int
    idle_days: int
    assignee: str | None


def idle_cases(today) -> list[IdleCase]:
    """Every case whose staff have not acted for its service's threshold of working days on
    `today` (a Muscat date), and not escalated since: waiting on them since its last action, or
    since the person's unanswered message (its reply target). In id order, once each."""
    waiting = Case.state.in_(sa.bindparam("waiting", WAITING_STATES, literal_execute=True))
    found: dict[int, IdleCase] = {}
    for since, clause in (
        (Case.last_action_at, waiting),
        (
            Case.reply_due_since,
            sa.and_(Case.reply_due_since.is_not(None), Case.state != "forwarded"),
        ),
    ):
        for row in db.session.execute(_finding(since, clause), {"today": today}):
            idle = IdleCase(*row)
            if idle.id not in found or found[idle.id].idle_days < idle.idle_days:
                found[idle.id] = idle
    return [found[key] for key in sorted(found)]


def _finding(since, clause) -> sa.Select:
    """The cases matching `clause` idle since the moment column `since`, with their idle days."""
    on_today, last_day = DAYS.alias("today"), DAYS.alias("since_day")
    assignee = aliased(User, name="assignee")
    idle_days = on_today.c.working_day_number - last_day.c.working_day_number
    return (
        sa.select(Case.id, Case.reference, Case.authority_id, idle_days, assignee.name)
        .join(Service, Service.id == Case.service_id)
        .join(
            on_today,
            sa.and_(
                on_today.c.authority_id == Case.authority_id,
                on_today.c.day == sa.bindparam("today", type_=sa.Date),
            ),
        )
        .join(
            last_day,
            sa.and_(
                last_day.c.authority_id == Case.authority_id,
                last_day.c.day == muscat_day(since),
            ),
        )
        .outerjoin(assignee, assignee.id == Case.assignee_id)
        .where(
            clause,
            Service.escalation_days.is_not(None),
            idle_days >= Service.escalation_days,
            sa.or_(Case.escalated_at.is_(None), Case.escalated_at < since),
        )
        .order_by(Case.id)
    )


def escalate_idle_cases(now: datetime | None = None) -> int:
    """Periodic: escalate every idle case (as of `now`), in the caller's unit of work."""
    now = now or utcnow()
    found = idle_cases(now.astimezone(MUSCAT).date())
    if not found:
        return 0
    db.session.execute(
        sa.update(Case)
        .where(Case.id.in_([c.id for c in found]))
        .values(escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    cases = {
        c.id: c
        for c in db.session.scalars(sa.select(Case).where(Case.id.in_([f.id for f in found])))
    }
    for idle in found:
        case = cases[idle.id]
        heads = notices.heads_of(case)
        for head in heads:
            notices.tell_staff(
                case,
                head,
                "case_idle",
                {"idle_days": idle.idle_days, "assignee": idle.assignee or notices.NOBODY_ASSIGNED},
            )
        record_change(
            "case.escalated",
            "case",
            idle.reference,
            authority_id=idle.authority_id,
            after={"idle_days": idle.idle_days, "recipients": len(heads)},
        )
    log.info("cases escalated", extra={"count": len(found)})
    return len(found)
