"""Service levels of an authority: how the applications received in a span fared, per
department, service, inspector, family or month.

One SQL statement. Each application received (its clock started) in the span is joined to the
`calendar_days` rows of the day its clock started and of the day it last ran, as the SLA report
does (`licensing.reports`), and its figures are arithmetic on their working-day numbers by the
rules of `SlaClock.status`:

- completed: the clock stopped (the decision); on time when that day is on or before the due
  date, late otherwise;
- working days used: from the start to the stop, pauses excluded (never below 0);
- open now: not stopped; breached when past the due date (a paused clock as of the day it
  paused, as `SlaClock.status` does); paused while it waits on the applicant.

A service with no target (a started clock with no stored due date, `sla_due_date` NULL) counts
in received, completed, open and the working days, never as on time, late or breached.

The median and the 90th percentile are PostgreSQL's `percentile_cont` (linear interpolation
between the two nearest values); SQLite has no such aggregate, so there each completed
application is numbered within its group by a window function and the two nearest values are
interpolated by the same rule.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.authorities.models import Department
from app.calendar.sql import DAYS, due_number, is_after_due, muscat_day
from app.catalogue.models import Service, ServiceFamily
from app.extensions import db
from app.timeutil import MUSCAT, utcnow
from licensing.models import Application
from licensing.reports import join_clock_days

GROUPS = ("department", "service", "inspector", "family", "month")
COUNTS = (
    "received",
    "completed",
    "completed_on_time",
    "completed_late",
    "open",
    "breached",
    "paused",
)

# Service families as the public and the monthly report name them.
FAMILY_NAMES: dict[ServiceFamily, tuple[str, str]] = {
    ServiceFamily.LEASE: ("عقود الإيجار", "Leases"),
    ServiceFamily.HEALTH_CARD: ("البطاقات الصحية", "Health cards"),
    ServiceFamily.VEHICLE_SIGNAGE: ("ملصقات المركبات", "Vehicle signage"),
    ServiceFamily.BUILDING_PERMIT: ("تراخيص البناء", "Building permits"),
    ServiceFamily.MUNICIPAL_LICENCE: ("التراخيص البلدية", "Municipal licences"),
    ServiceFamily.TEMPORARY_LICENCE: ("التراخيص المؤقتة", "Temporary licences"),
    ServiceFamily.INSPECTION: ("التفتيش", "Inspections"),
    ServiceFamily.CERTIFICATE: ("الشهادات", "Certificates"),
    ServiceFamily.COMPLAINT: ("الشكاوى", "Complaints"),
    ServiceFamily.GENERAL: ("الخدمات العامة", "General services"),
}
MONTHS_AR = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def service_levels(
    authority_id: int,
    first: date | None,
    last: date | None,
    group_by: str,
    today: date | None = None,
    service: str | None = None,
) -> list[dict[str, Any]]:
    """One row per group (`GROUPS`) with at least one application of the authority received
    (clock started) from `first` to `last` (Muscat dates, inclusive; None: no bound), in the
    group's order (code; inspectors by name, the unassigned last; months in time order).

    Each row: `group` (department, service, family: `code`, `name_ar`, `name_en`; month: `code`
    `YYYY-MM` and its names; inspector: the assignee's `id` and `name`, both None for the
    unassigned), the `COUNTS`, `on_time_percent` (of the completed with a target, one decimal;
    None when none), `median_working_days` and `p90_working_days` of the completed (None when
    none). Open, breached and paused are counted on `today` (default: today's Muscat date).
    `service` keeps one service, by code. ValueError for an unknown `group_by`."""
    if group_by not in GROUPS:
        raise ValueError(f"unknown group {group_by!r}")
    today = today or utcnow().astimezone(MUSCAT).date()
    query = figures_query(authority_id, (group_by,), today, first, last, service=service)
    return [
        {"group": group_of(group_by, row), **figures_of(row)}
        for row in db.session.execute(query).mappings()
    ]


def figures_query(
    authority_id: int,
    groups: tuple[str, ...],
    today: date,
    first: date | None = None,
    last: date | None = None,
    *,
    service: str | None = None,
    completed_by: date | None = None,
) -> sa.Select:
    """The figures grouped by `groups` (several for the public table: service and month).
    `completed_by`: a clock stopped after that Muscat date counts as not completed (the public
    figures, fixed once a day ends)."""
    clocks = _clocks(authority_id, groups, today, first, last, service, completed_by)
    c = clocks.c
    keys = [c[name] for group in groups for name in _KEY_COLUMNS[group]]
    dialect = db.session.get_bind().dialect.name
    return (
        sa.select(
            *keys,
            *(sa.func.sum(c[name]).label(name) for name in COUNTS),
            _percentile(c, 0.5, dialect).label("median_working_days"),
            _percentile(c, 0.9, dialect).label("p90_working_days"),
        )
        .group_by(*keys)
        .order_by(*(order for group in groups for order in _order(group, c)))
    )


_KEY_COLUMNS = {
    "department": ("department_code", "department_name_ar", "department_name_en"),
    "service": ("service_code", "service_name_ar", "service_name_en"),
    "inspector": ("inspector_id", "inspector_name"),
    "family": ("family",),
    "month": ("month",),
}


def _order(group: str, c) -> list:
    if group == "inspector":
        return [c.inspector_id.is_(None), c.inspector_name, c.inspector_id]
    return [c[_KEY_COLUMNS[group][0]]]


def _clocks(authority_id, groups, today, first, last, service, completed_by) -> sa.Subquery:
    """One row per application received in the span: its group keys and its 0/1 figures."""
    a = Application
    started, last_ran = DAYS.alias("started_day"), DAYS.alias("last_day")
    stopped = a.sla_stopped_at.is_not(None)
    if completed_by is not None:
        stopped = sa.and_(stopped, a.sla_stopped_at < _muscat_midnight(completed_by + _DAY))
    last_day = sa.case(
        (stopped, muscat_day(a.sla_stopped_at)),
        (a.sla_paused_at.is_not(None), muscat_day(a.sla_paused_at)),
        else_=sa.literal(today, sa.Date),
    )
    has_target = sa.and_(a.sla_due_date.is_not(None), a.sla_target_days.is_not(None))
    due = due_number(
        started.c.working_day_number, started.c.is_working, a.sla_target_days + a.sla_paused_days
    )
    past_due = is_after_due(last_ran.c.working_day_number, last_ran.c.is_working, due)
    late = sa.and_(has_target, past_due)
    spent = last_ran.c.working_day_number - started.c.working_day_number - a.sla_paused_days
    done = sa.case((stopped, 1), else_=0)
    used = sa.case((stopped, sa.case((spent > 0, spent), else_=0)))

    def one_if(condition) -> sa.ColumnElement:
        return sa.case((condition, 1), else_=0)

    columns = {
        "department_code": Department.code,
        "department_name_ar": Department.name_ar,
        "department_name_en": Department.name_en,
        "service_code": Service.code,
        "service_name_ar": Service.name_ar,
        "service_name_en": Service.name_en,
        "inspector_id": a.assignee_id,
        "inspector_name": User.name,
        "family": Service.family,
        "month": _month_number(muscat_day(a.sla_started_at)),
    }
    keys = {name: columns[name] for group in groups for name in _KEY_COLUMNS[group]}
    ranked = []
    if db.session.get_bind().dialect.name != "postgresql":  # for `_percentile`
        within = [*keys.values(), done]
        ranked = [
            (sa.func.row_number().over(partition_by=within, order_by=used) - 1).label("rank"),
            sa.func.count().over(partition_by=within).label("group_size"),
        ]
    query = (
        sa.select(
            *(column.label(name) for name, column in keys.items()),
            sa.literal(1).label("received"),
            done.label("completed"),
            one_if(sa.and_(stopped, has_target, sa.not_(late))).label("completed_on_time"),
            one_if(sa.and_(stopped, late)).label("completed_late"),
            one_if(sa.not_(stopped)).label("open"),
            one_if(sa.and_(sa.not_(stopped), late)).label("breached"),
            one_if(sa.and_(sa.not_(stopped), a.sla_paused_at.is_not(None))).label("paused"),
            used.label("used"),
            *ranked,
        )
        .select_from(a)
        .join(Service, Service.id == a.service_id)
        .where(a.authority_id == authority_id, a.sla_started_at.is_not(None))
    )
    query = join_clock_days(query, started, last_ran, last_day)
    if "department" in groups:
        query = query.join(Department, Department.id == Service.department_id)
    if "inspector" in groups:
        query = query.outerjoin(User, User.id == a.assignee_id)
    if first:
        query = query.where(a.sla_started_at >= _muscat_midnight(first))
    if last:
        query = query.where(a.sla_started_at < _muscat_midnight(last + _DAY))
    if service:
        query = query.where(Service.code == service)
    return query.subquery("clocks")


def _month_number(day) -> sa.ColumnElement:
    """202701 for a day of January 2027 (`extract` is SQL on both databases)."""
    return sa.extract("year", day) * 100 + sa.extract("month", day)


def _percentile(c, fraction: float, dialect: str) -> sa.ColumnElement:
    """The `fraction` percentile of the working days used by the completed ones of a group,
    interpolated linearly between the two nearest (NULL when none completed)."""
    if dialect == "postgresql":
        return sa.func.percentile_cont(fraction).within_group(c.used)  # NULLs are skipped
    # Ranks 0 .. n-1 among the completed of the group: the value at rank p(n-1), between
    # ranks lo = floor(p(n-1)) and lo + 1.
    position = sa.literal(fraction) * (c.group_size - 1)
    lower = sa.cast(position, sa.Integer)
    weight = position - lower
    return sa.func.sum(
        sa.case(
            (sa.and_(c.completed == 1, c.rank == lower), c.used * (1 - weight)),
            (sa.and_(c.completed == 1, c.rank == lower + 1), c.used * weight),
        )
    )


_DAY = timedelta(days=1)


def _muscat_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=MUSCAT)


def group_of(group: str, row) -> dict[str, Any]:
    """The group a row of `figures_query` names, as the API shows it."""
    if group == "inspector":
        return {"id": row["inspector_id"], "name": row["inspector_name"]}
    if group == "family":
        family = ServiceFamily(row["family"])
        name_ar, name_en = FAMILY_NAMES[family]
        return {"code": family.value, "name_ar": name_ar, "name_en": name_en}
    if group == "month":
        year, month = divmod(int(row["month"]), 100)
        return {"code": f"{year}-{month:02d}", **month_names(year, month)}
    code, name_ar, name_en = _KEY_COLUMNS[group]
    return {"code": row[code], "name_ar": row[name_ar], "name_en": row[name_en]}


def month_names(year: int, month: int) -> dict[str, str]:
    return {
        "name_ar": f"{MONTHS_AR[month - 1]} {year}",
        "name_en": f"{MONTHS_EN[month - 1]} {year}",
    }


def figures_of(row) -> dict[str, Any]:
    counts = {name: int(row[name] or 0) for name in COUNTS}
    judged = counts["completed_on_time"] + counts["completed_late"]
    return {
        **counts,
        "on_time_percent": round(100 * counts["completed_on_time"] / judged, 1) if judged else None,
        "median_working_days": _days(row["median_working_days"]),
        "p90_working_days": _days(row["p90_working_days"]),
    }


def _days(value) -> float | None:
    return None if value is None else round(float(value), 2)
