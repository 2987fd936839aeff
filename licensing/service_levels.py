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
from app.sla import SlaUnit
from app.timeutil import MUSCAT, UTCDateTime, utcnow
from licensing.models import Application

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
FIGURE_COLUMNS = (*COUNTS, "on_time_percent", "median_working_days", "p90_working_days")

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
    # Grouped by narrow ids (the sort `percentile_cont` needs carries no names), named after.
    ids = [c[_ID_COLUMNS[group]] for group in groups]
    dialect = db.session.get_bind().dialect.name
    figures = (
        sa.select(
            *ids,
            *(sa.func.sum(c[name]).label(name) for name in COUNTS),
            _percentile(c, 0.5, dialect).label("median_working_days"),
            _percentile(c, 0.9, dialect).label("p90_working_days"),
        )
        .group_by(*ids)
        .subquery("figures")
    )
    f = figures.c
    query = sa.select(*(f[name] for name in FIGURES_ORDER))
    for group in groups:
        query = _named(query, group, f)
    return query.order_by(*(order for group in groups for order in _order(group, f)))


FIGURES_ORDER = (*COUNTS, "median_working_days", "p90_working_days")
_ID_COLUMNS = {
    "department": "department_id",
    "service": "service_id",
    "inspector": "inspector_id",
    "family": "family",
    "month": "month",
}


def _named(query: sa.Select, group: str, f) -> sa.Select:
    """`query` with the group's names (code, Arabic and English; an inspector's id and name)."""
    if group == "department":
        query = query.join(Department, Department.id == f.department_id)
        return query.add_columns(
            Department.code.label("department_code"),
            Department.name_ar.label("department_name_ar"),
            Department.name_en.label("department_name_en"),
        )
    if group == "service":
        query = query.join(Service, Service.id == f.service_id)
        return query.add_columns(
            Service.code.label("service_code"),
            Service.name_ar.label("service_name_ar"),
            Service.name_en.label("service_name_en"),
        )
    if group == "inspector":
        query = query.outerjoin(User, User.id == f.inspector_id)
        return query.add_columns(f.inspector_id, User.name.label("inspector_name"))
    return query.add_columns(f[group])  # family, month: their own names


def _order(group: str, f) -> list:
    if group == "inspector":
        return [f.inspector_id.is_(None), User.name, f.inspector_id]
    if group == "department":
        return [Department.code]
    if group == "service":
        return [Service.code]
    return [f[group]]


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
    has_target = sa.and_(
        a.sla_due_date.is_not(None),
        a.sla_target_days.is_not(None),
        a.sla_unit != SlaUnit.NONE,
    )
    due = due_number(
        started.c.working_day_number, started.c.is_working, a.sla_target_days + a.sla_paused_days
    )
    # A target in working minutes is judged on its due moment: stopped after it, or still open
    # past it at the end of `today` (now, when `today` is today).
    as_of = sa.literal(min(utcnow(), _muscat_midnight(today + _DAY)), UTCDateTime())
    past_due = sa.case(
        (
            a.sla_unit == SlaUnit.WORKING_MINUTES,
            sa.case((stopped, a.sla_stopped_at > a.sla_due_at), else_=a.sla_due_at < as_of),
        ),
        else_=is_after_due(last_ran.c.working_day_number, last_ran.c.is_working, due),
    )
    late = sa.and_(has_target, past_due)
    spent = last_ran.c.working_day_number - started.c.working_day_number - a.sla_paused_days
    done = sa.case((stopped, 1), else_=0)
    used = sa.case((stopped, sa.case((spent > 0, spent), else_=0)))

    def one_if(condition) -> sa.ColumnElement:
        return sa.case((condition, 1), else_=0)

    columns = {
        "department_id": Service.department_id,
        "service_id": a.service_id,
        "inspector_id": a.assignee_id,
        "family": Service.family,
        "month": _month_number(muscat_day(a.sla_started_at)),
    }
    keys = {_ID_COLUMNS[group]: columns[_ID_COLUMNS[group]] for group in groups}
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
    if first:
        query = query.where(a.sla_started_at >= _muscat_midnight(first))
    if last:
        query = query.where(a.sla_started_at < _muscat_midnight(last + _DAY))
    if service:
        query = query.where(Service.code == service)
    return query.subquery("clocks")


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
    return {key: row[f"{group}_{key}"] for key in ("code", "name_ar", "name_en")}


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
