"""The SLA report of an authority: per service, how the clocks of its applications stand.

One SQL query: each application is joined to the `calendar_days` rows of the day its clock
started and of the day it last ran, and its state is arithmetic on their working-day numbers
(`app.calendar.sql`), by the rules of `SlaClock.status`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.calendar.sql import DAYS, due_number, is_after_due, muscat_day
from app.catalogue.models import Service
from app.errors import ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.timeutil import MUSCAT, utcnow
from licensing.models import Application

FROM_AFTER_TO = N_("Must not be before `from`.")


def sla_report(actor: User, filters: dict[str, Any]) -> dict[str, Any]:
    """The report of the caller's authority on today's Muscat date; `from` and `to` (Muscat
    dates, inclusive) select the applications whose clock started in that span, `service` one
    service by code. Raises ValidationFailed naming `to` when it is before `from`."""
    first, last = filters.get("first"), filters.get("last")
    if first and last and last < first:
        raise ValidationFailed({"to": [FROM_AFTER_TO]})
    today = utcnow().astimezone(MUSCAT).date()
    services = sla_summary(actor.authority_id, today, first, last, filters.get("service"))
    return {"as_of": today, "services": services}


def sla_summary(
    authority_id: int,
    today: date,
    first: date | None = None,
    last: date | None = None,
    service: str | None = None,
) -> list[dict[str, Any]]:
    """Per service with at least one started clock (by code): started, decided, met, breached
    (decided after the due date, or still open past it), on_track and at_risk (open, not past
    the due date), paused (open and waiting on the applicant; also counted in one of the
    three before) and the average working days used by the decided ones."""
    a = Application
    started, last_ran = DAYS.alias("started_day"), DAYS.alias("last_day")
    stopped = a.sla_stopped_at.is_not(None)
    last_day = sa.case(
        (stopped, muscat_day(a.sla_stopped_at)),
        (a.sla_paused_at.is_not(None), muscat_day(a.sla_paused_at)),
        else_=sa.literal(today, sa.Date),
    )
    due = due_number(
        started.c.working_day_number, started.c.is_working, a.sla_target_days + a.sla_paused_days
    )
    breached = is_after_due(last_ran.c.working_day_number, last_ran.c.is_working, due)
    spent = last_ran.c.working_day_number - started.c.working_day_number - a.sla_paused_days
    used = sa.case((spent > 0, spent), else_=0)
    still_in_time = sa.and_(sa.not_(stopped), sa.not_(breached))

    def how_many(condition) -> sa.ColumnElement:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    query = (
        sa.select(
            Service.code,
            Service.name_ar,
            Service.name_en,
            sa.func.count().label("started"),
            how_many(stopped).label("decided"),
            how_many(sa.and_(stopped, sa.not_(breached))).label("met"),
            how_many(breached).label("breached"),
            how_many(sa.and_(still_in_time, a.sla_target_days - used > 1)).label("on_track"),
            how_many(sa.and_(still_in_time, a.sla_target_days - used <= 1)).label("at_risk"),
            how_many(sa.and_(sa.not_(stopped), a.sla_paused_at.is_not(None))).label("paused"),
            sa.func.avg(sa.case((stopped, used))).label("average_working_days_used"),
        )
        .select_from(a)
        .join(Service, Service.id == a.service_id)
        .where(a.authority_id == authority_id, a.sla_started_at.is_not(None))
        .group_by(Service.id, Service.code, Service.name_ar, Service.name_en)
        .order_by(Service.code)
    )
    query = join_clock_days(query, started, last_ran, last_day)
    if first:
        query = query.where(a.sla_started_at >= _muscat_midnight(first))
    if last:
        query = query.where(a.sla_started_at < _muscat_midnight(last + timedelta(days=1)))
    if service:
        query = query.where(Service.code == service)
    return [_figures(row) for row in db.session.execute(query).mappings()]


def join_clock_days(query: sa.Select, started, last_ran, last_day) -> sa.Select:
    """`query` over applications joined to the `calendar_days` rows (aliases `started` and
    `last_ran`) of the day each clock started and of `last_day`, the day it last ran."""
    a = Application
    return query.join(
        started,
        sa.and_(
            started.c.authority_id == a.authority_id,
            started.c.day == muscat_day(a.sla_started_at),
        ),
    ).join(
        last_ran,
        sa.and_(last_ran.c.authority_id == a.authority_id, last_ran.c.day == last_day),
    )


def _muscat_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=MUSCAT)


def _figures(row) -> dict[str, Any]:
    average = row["average_working_days_used"]
    return {
        "service": {"code": row["code"], "name_ar": row["name_ar"], "name_en": row["name_en"]},
        **{
            key: int(row[key] or 0)
            for key in ("started", "decided", "met", "breached", "on_track", "at_risk", "paused")
        },
        "average_working_days_used": None if average is None else round(float(average), 2),
    }
