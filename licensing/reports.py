"""The SLA report of an authority: per service, how the clocks of its applications stand.

One SQL query: each application is joined to the `calendar_days` rows of the day its clock
started and of the day it last ran, and its state is arithmetic on their working-day numbers
(`app.calendar.sql`), by the rules of `SlaClock.status`. A target in working minutes is judged
on the working seconds of those moments (`app.calendar.sql.working_second`) under the
authority's working hours; a clock with no target (`sla_unit` none) counts as started, decided
and paused, never as met, breached, on track or at risk.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.authorities.models import Authority
from app.calendar.sql import (
    DAYS,
    due_number,
    is_after_due,
    muscat_day,
    muscat_second_of_day,
    working_second,
)
from app.catalogue.models import Service
from app.csv_files import csv_text
from app.errors import ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.sla import AT_RISK_SHARE, SlaUnit
from app.timeutil import MUSCAT, UTCDateTime, utcnow
from licensing.models import Application
from licensing.service_levels import FIGURE_COLUMNS, join_clock_days, service_levels

FROM_AFTER_TO = N_("Must not be before `from`.")


def sla_report(actor: User, filters: dict[str, Any]) -> dict[str, Any]:
    """The report of the caller's authority on today's Muscat date; `from` and `to` (Muscat
    dates, inclusive) select the applications whose clock started in that span, `service` one
    service by code. `services`: the summary per service (`sla_summary`); `rows`: the figures
    per `group_by` (`service_levels`), alone when the format is CSV. Raises ValidationFailed
    naming `to` when it is before `from`."""
    first, last = filters.get("first"), filters.get("last")
    if first and last and last < first:
        raise ValidationFailed({"to": [FROM_AFTER_TO]})
    today = utcnow().astimezone(MUSCAT).date()
    group_by, service = filters.get("group_by", "service"), filters.get("service")
    rows = service_levels(actor.authority_id, first, last, group_by, today, service=service)
    report = {"as_of": today, "group_by": group_by, "rows": rows}
    if filters.get("format") != "csv":
        report["services"] = sla_summary(actor.authority_id, today, first, last, service)
    return report


def sla_csv(report: dict[str, Any]) -> str:
    """The report's `rows` as a CSV file (UTF-8 with a BOM, for Excel): the group's columns
    (`<group>_code`, `_name_ar`, `_name_en`; inspectors `inspector_id`, `inspector_name`),
    then the figures, empty where there is none."""
    group_by = report["group_by"]
    keys = ("id", "name") if group_by == "inspector" else ("code", "name_ar", "name_en")
    header = [f"{group_by}_{key}" for key in keys] + list(FIGURE_COLUMNS)
    lines = (
        [row["group"][key] for key in keys] + [row[name] for name in FIGURE_COLUMNS]
        for row in report["rows"]
    )
    return csv_text(header, lines)


def sla_summary(
    authority_id: int,
    today: date,
    first: date | None = None,
    last: date | None = None,
    service: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Per service with at least one started clock (by code): started, decided, met, breached
    (decided after the due date, or still open past it), on_track and at_risk (open, not past
    the due date), paused (open and waiting on the applicant; also counted in one of the
    three before) and the average working days used by the decided ones. `now` is the moment
    minute targets are judged at (the current moment, or the end of `today` when `today` is
    another day)."""
    a = Application
    if now is None:
        now = utcnow()
        if now.astimezone(MUSCAT).date() != today:
            now = datetime.combine(today + timedelta(days=1), time.min, tzinfo=MUSCAT)
            now -= timedelta(seconds=1)
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
    in_days = a.sla_unit == SlaUnit.WORKING_DAYS
    in_minutes = a.sla_unit == SlaUnit.WORKING_MINUTES
    spent = last_ran.c.working_day_number - started.c.working_day_number - a.sla_paused_days
    used = sa.case((spent > 0, spent), else_=0)
    # A minute target, on the working seconds of the start and of the moment it last ran.
    starts = sa.cast(Authority.work_starts_minute, sa.Integer)
    ends = sa.cast(Authority.work_ends_minute, sa.Integer)
    last_moment = sa.case(
        (stopped, a.sla_stopped_at),
        (a.sla_paused_at.is_not(None), a.sla_paused_at),
        else_=sa.literal(now, UTCDateTime()),
    )
    seconds_used = (
        working_second(
            last_ran.c.working_day_number, last_ran.c.is_working, last_moment, starts, ends
        )
        - working_second(
            started.c.working_day_number, started.c.is_working, a.sla_started_at, starts, ends
        )
        - a.sla_paused_minutes * 60
    )
    second_of_day = muscat_second_of_day(last_moment)
    # Inside working time (not at its very start): the working seconds grow there, so using
    # up exactly the target means being at the due moment; elsewhere, past it.
    inside = sa.and_(last_ran.c.is_working, second_of_day > starts * 60, second_of_day <= ends * 60)
    target_seconds = a.sla_target_minutes * 60
    minutes_left = a.sla_target_minutes - sa.case((seconds_used > 0, seconds_used // 60), else_=0)
    breached = sa.or_(
        sa.and_(in_days, is_after_due(last_ran.c.working_day_number, last_ran.c.is_working, due)),
        sa.and_(
            in_minutes,
            sa.or_(
                seconds_used > target_seconds,
                sa.and_(seconds_used == target_seconds, sa.not_(inside)),
            ),
        ),
    )
    still_in_time = sa.and_(sa.not_(stopped), sa.not_(breached))
    at_risk = sa.or_(
        sa.and_(in_days, a.sla_target_days - used <= 1),
        sa.and_(in_minutes, minutes_left * AT_RISK_SHARE <= a.sla_target_minutes),
    )
    has_target = a.sla_unit != SlaUnit.NONE

    def how_many(condition) -> sa.ColumnElement:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    query = (
        sa.select(
            Service.code,
            Service.name_ar,
            Service.name_en,
            sa.func.count().label("started"),
            how_many(stopped).label("decided"),
            how_many(sa.and_(has_target, stopped, sa.not_(breached))).label("met"),
            how_many(breached).label("breached"),
            how_many(sa.and_(has_target, still_in_time, sa.not_(at_risk))).label("on_track"),
            how_many(sa.and_(has_target, still_in_time, at_risk)).label("at_risk"),
            how_many(sa.and_(sa.not_(stopped), a.sla_paused_at.is_not(None))).label("paused"),
            sa.func.avg(sa.case((stopped, used))).label("average_working_days_used"),
        )
        .select_from(a)
        .join(Service, Service.id == a.service_id)
        .join(Authority, Authority.id == a.authority_id)
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
