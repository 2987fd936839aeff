"""The staff queue's SLA bands: breached, at risk, on track, no due date.

The customer charter puts priority applicants (the elderly, people with disabilities) first in
the staff queues "at equal SLA state": a priority application on track comes before every other
application on track, even one due sooner, but never before one at risk or breached. The queue's
order is therefore (band, priority first, due date, id), and for it to stay an index range at a
million applications the band is stored (`applications.queue_band`) rather than computed per
query from today's date.

A band is a function of the due date and of today (Asia/Muscat): breached before today, at risk
today or the next working day, on track after, none without a due date (drafts, unpaid). So it is
written with every due date (`Application.sla_due_date`'s validator), and moves on its own only
when the day turns: `refresh_queue_bands()` moves the few applications whose band the new day
changes (an index range each), every 15 minutes and so within minutes of midnight, and after a
change to the calendar (`app.calendar.services`). For applications not waiting on a running clock
(paused, decided) the band still follows the stored due date: it orders, it does not judge; the
SLA report and the escalation sweep read the clocks themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa

from app.extensions import db
from app.timeutil import MUSCAT, utcnow

BREACHED, AT_RISK, ON_TRACK, NO_DUE_DATE = 0, 1, 2, 3
HIGHEST_PRIORITY = 1  # applications.priority: 1 for a verified priority applicant, else 0


def muscat_today(now: dt.datetime | None = None) -> dt.date:
    return (now or utcnow()).astimezone(MUSCAT).date()


def band_of(due: dt.date | None, today: dt.date, next_working_day: dt.date) -> int:
    if due is None:
        return NO_DUE_DATE
    if due < today:
        return BREACHED
    if due <= next_working_day:
        return AT_RISK
    return ON_TRACK


def band_now(due: dt.date | None, authority_id: int) -> int:
    """The band of a due date in the authority's calendar, today."""
    if due is None:
        return NO_DUE_DATE
    from app.calendar.services import calendar_for

    today = muscat_today()
    return band_of(due, today, calendar_for(authority_id).add(today, 1))


def _band_case(due: sa.ColumnElement, today: dt.date, next_working_day) -> sa.Case:
    """`band_of` in SQL; `next_working_day` a date, or an expression of each row's."""
    return sa.case(
        (due.is_(None), NO_DUE_DATE),
        (due < today, BREACHED),
        (due <= next_working_day, AT_RISK),
        else_=ON_TRACK,
    )


def _next_working_day(authority_id, today: dt.date) -> sa.Select:
    """The first working day after `today` in the authority's `calendar_days` (the table, not
    a process's copy: the calendar may be changing in this very transaction)."""
    from app.calendar.models import CalendarDay

    return sa.select(sa.func.min(CalendarDay.day)).where(
        CalendarDay.authority_id == authority_id, CalendarDay.day > today, CalendarDay.is_working
    )


def band_in_sql(due: sa.ColumnElement, authority_id: sa.ColumnElement, today: dt.date):
    """The band of a due date computed in SQL (a set-based UPDATE of due dates writes its band
    in the same statement): the next working day read from `calendar_days` for each row."""
    return _band_case(due, today, _next_working_day(authority_id, today).scalar_subquery())


def refresh_queue_bands(authority_ids: Iterable[int] | None = None) -> int:
    """Move the applications whose band is out of date (the day turned, or the calendar
    changed) to today's; one UPDATE per authority, over ranges of the queue's own index
    `ix_applications_queue` (authority, band, priority, due date): on track now due by the next
    working day, at risk now past or beyond it, breached now due today or later, each range
    read for both priorities. The number of applications moved."""
    from app.authorities.models import Authority
    from licensing.models import Application

    if authority_ids is None:
        authority_ids = list(db.session.scalars(sa.select(Authority.id)))
    today, moved = muscat_today(), 0
    for authority_id in authority_ids:
        next_working_day = db.session.scalar(_next_working_day(authority_id, today))
        band, due = Application.queue_band, Application.sla_due_date
        # Both priorities named, so that the due date bounds a range of the index after them.
        either = (-Application.priority).in_([-HIGHEST_PRIORITY, 0])
        stale = sa.or_(
            sa.and_(band == ON_TRACK, either, due <= next_working_day),
            sa.and_(band == AT_RISK, either, due < today),
            sa.and_(band == AT_RISK, either, due > next_working_day),
            sa.and_(band == BREACHED, either, due >= today),
        )
        result = db.session.execute(
            sa.update(Application)
            .where(Application.authority_id == authority_id, stale)
            .values(queue_band=_band_case(due, today, next_working_day))
            .execution_options(synchronize_session=False)
        )
        moved += result.rowcount or 0
    return moved


def refresh_all_queue_bands() -> None:
    """The periodic job (jobs/schedule.py): every authority's bands, in one transaction."""
    import logging

    moved = refresh_queue_bands()
    if moved:
        logging.getLogger(__name__).info("queue bands moved", extra={"applications": moved})
