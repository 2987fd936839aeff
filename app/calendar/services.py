"""The calendar of each authority: building it, changing its holidays, asking it for due dates."""

from __future__ import annotations

import secrets
import threading
from datetime import date, datetime, time, timedelta
from typing import Any

import holidays as holidays_package
import sqlalchemy as sa
from flask import Flask, g

from app.accounts.models import User
from app.audit import record_change
from app.authorities.models import Authority
from app.calendar.models import CalendarDay, HolidayOverride
from app.calendar.sql import current_due_date
from app.calendar.workdays import WORK_ENDS, WORK_STARTS, OutOfRange, WorkingCalendar
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.models import SlaTracked
from app.sla import SlaUnit
from app.timeutil import MUSCAT, utcnow

FIRST_DAY = date(2020, 1, 1)
LAST_DAY = date(2040, 12, 31)

OUTSIDE_CALENDAR = N_("Must fall between {first} and {last}, the span of the calendar.")
PAST_THE_CALENDAR = N_("The due date would fall after {last}, the end of the calendar.")
HOURS_IN_ORDER = N_("The working day must end after it starts.")

# The calendars built in this process: {authority id: (its calendar version, the calendar)}.
_cache: dict[int, tuple[int, WorkingCalendar]] = {}
_cache_lock = threading.Lock()


def package_holidays(first_year: int, last_year: int) -> dict[date, tuple[str, str]]:
    """Oman's public holidays from the `holidays` package: {day: (English name, Arabic name)}."""
    years = range(first_year, last_year + 1)
    english = holidays_package.country_holidays("OM", years=years, language="en_US")
    arabic = holidays_package.country_holidays("OM", years=years, language="ar")
    return {day: (name, arabic.get(day, name)) for day, name in english.items()}


def _overrides(authority_id: int) -> list[HolidayOverride]:
    return list(
        db.session.scalars(
            sa.select(HolidayOverride)
            .where(
                HolidayOverride.withdrawn_at.is_(None),
                sa.or_(
                    HolidayOverride.authority_id.is_(None),
                    HolidayOverride.authority_id == authority_id,
                ),
            )
            .order_by(HolidayOverride.id)
        )
    )


def holidays_of(authority_id: int) -> dict[date, tuple[str, str]]:
    """The package's holidays with the overrides applied, in the order they were made."""
    found = dict(_package_span())
    for override in _overrides(authority_id):
        if override.kind == "declared":
            found[override.day] = (override.name_en, override.name_ar)
        else:
            found.pop(override.day, None)
    return found


_package_cache: dict[date, tuple[str, str]] | None = None


def _package_span() -> dict[date, tuple[str, str]]:
    global _package_cache
    if _package_cache is None:
        _package_cache = package_holidays(FIRST_DAY.year, LAST_DAY.year)
    return _package_cache


def calendar_for(authority_id: int, version: int | None = None) -> WorkingCalendar:
    """The authority's working calendar, as its holidays stand in this transaction.

    Each process builds it once per version of the authority's holidays
    (`Authority.calendar_version`, a new random number at each change, in the changing
    transaction) and keeps it; a request or job looks it up once. The version is read from the
    database on that first look-up (one small SELECT, or none when the caller read the column
    with a query of its own and passes it as `version`), so a holiday that any process has
    committed is seen by the next request of every process: the memory never lags the
    database. The number is random rather than counted up so that a change rolled back leaves
    no calendar kept under a number that a later change could take again."""
    known = g.setdefault("_calendars", {})
    if authority_id not in known:
        if version is None:
            version = db.session.scalar(
                sa.select(Authority.calendar_version).where(Authority.id == authority_id)
            )
        known[authority_id] = _calendar_from_cache(authority_id, version)
    return known[authority_id]


def init_calendar(app: Flask) -> None:
    """Let every `app.models.SlaTracked` record find its authority's calendar."""
    app.extensions["calendar_for"] = calendar_for


def _calendar_from_cache(authority_id: int, version: int) -> WorkingCalendar:
    with _cache_lock:
        found = _cache.get(authority_id)
    if found is not None and found[0] == version:
        return found[1]
    # A change committed between the version's read and the overrides' read makes a calendar
    # newer than its key: only requests that read the old version before that commit get it.
    calendar = WorkingCalendar(
        FIRST_DAY, LAST_DAY, holidays_of(authority_id), *working_hours_of(authority_id)
    )
    with _cache_lock:
        _cache[authority_id] = (version, calendar)
    return calendar


def working_hours_of(authority_id: int) -> tuple[int, int]:
    """The authority's working day: (start, end) in minutes after midnight, Asia/Muscat; the
    default (8:00–14:30) for an authority not (yet) in the table."""
    row = db.session.execute(
        sa.select(Authority.work_starts_minute, Authority.work_ends_minute).where(
            Authority.id == authority_id
        )
    ).first()
    if row is None:
        return WORK_STARTS, WORK_ENDS
    return row.work_starts_minute, row.work_ends_minute


def clock_text(minute: int) -> str:
    """Minutes after midnight as the API writes them: "08:00"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def authority_by_id(authority_id: int) -> Authority:
    return db.session.get(Authority, authority_id)


def working_hours_view(authority: Authority) -> dict[str, Any]:
    return {
        "authority": authority.code,
        "work_starts": clock_text(authority.work_starts_minute),
        "work_ends": clock_text(authority.work_ends_minute),
    }


def set_working_hours(admin: User, data: dict[str, Any]) -> Authority:
    """An admin sets the working day of the admin's authority (`work_starts`, `work_ends`, as
    minutes after midnight; either may be left out). Minute targets count inside it from now:
    the calendar gets a new version (every process builds it again), the stored due moments of
    running minute targets move, and the change is audited. Raises ValidationFailed naming
    `work_ends` unless the day starts before it ends."""
    authority = db.session.scalar(
        sa.select(Authority).where(Authority.id == admin.authority_id).with_for_update()
    )
    starts = data.get("work_starts", authority.work_starts_minute)
    ends = data.get("work_ends", authority.work_ends_minute)
    if not starts < ends:
        raise ValidationFailed({"work_ends": [HOURS_IN_ORDER]})
    if (starts, ends) == (authority.work_starts_minute, authority.work_ends_minute):
        return authority
    before = working_hours_view(authority)
    authority.work_starts_minute, authority.work_ends_minute = starts, ends
    authority.calendar_version = secrets.randbits(62)
    db.session.flush()
    record_change(
        "working_hours.changed",
        "authority",
        authority.code,
        authority_id=authority.id,
        before=before,
        after=working_hours_view(authority),
    )
    g.pop("_calendars", None)
    refresh_minute_due_moments([authority.id], None)
    return authority


def default_authority_id() -> int:
    """The calendar asked for without an authority: the national one (first seeded authority
    with no overrides of its own would do; we use North Al Batinah's)."""
    return db.session.scalar(sa.select(Authority.id).order_by(Authority.id).limit(1))


def authority_id_for(code: str | None) -> int:
    if not code:
        return default_authority_id()
    found = db.session.scalar(sa.select(Authority.id).where(Authority.code == code.upper()))
    if found is None:
        raise ValidationFailed({"authority": [N_("No such authority.")]})
    return found


def rebuild_calendar_table(authority_id: int) -> int:
    """Write the authority's `calendar_days` rows anew, and give its calendar a new version (the
    processes build theirs again); the caller commits. Returns the count of rows."""
    calendar = WorkingCalendar(FIRST_DAY, LAST_DAY, holidays_of(authority_id))
    rows = []
    day = FIRST_DAY
    while day <= LAST_DAY:
        working = calendar.is_working(day)
        name = calendar.holidays.get(day) if not working else None
        rows.append(
            {
                "authority_id": authority_id,
                "day": day,
                "is_working": working,
                "working_day_number": calendar.number(day),
                "reason": None if working else ("holiday" if name else "weekend"),
                "name_en": name[0] if name else None,
                "name_ar": name[1] if name else None,
            }
        )
        day += timedelta(days=1)
    db.session.execute(sa.delete(CalendarDay).where(CalendarDay.authority_id == authority_id))
    db.session.execute(sa.insert(CalendarDay), rows)
    db.session.execute(
        sa.update(Authority)
        .where(Authority.id == authority_id)
        .values(calendar_version=secrets.randbits(62))
    )
    return len(rows)


def ensure_calendar_tables() -> None:
    """Build the table of every authority that has none yet (seed)."""
    have = set(db.session.scalars(sa.select(CalendarDay.authority_id).distinct()))
    for authority_id in db.session.scalars(sa.select(Authority.id)):
        if authority_id not in have:
            rebuild_calendar_table(authority_id)


def _rebuild_affected(authority_id: int | None, day: date) -> None:
    """Rebuild the calendar table of the authority (or all) whose holiday `day` changed, and
    the stored due dates that depend on it, in the caller's transaction."""
    g.pop("_calendars", None)  # this request's calendars are out of date now
    ids = [authority_id] if authority_id else list(db.session.scalars(sa.select(Authority.id)))
    for one in ids:
        rebuild_calendar_table(one)
    refresh_running_due_dates(ids, day)


def refresh_running_due_dates(authority_ids: list[int], day: date) -> None:
    """Store anew, from the rebuilt `calendar_days`, the due date of every running clock
    (started, not stopped; paused ones too) of applications, refunds and any other `SlaTracked`
    record of these authorities that started on or before `day`: a change to a later day moves
    no due date. One UPDATE per table for day targets; minute targets' due moments are
    recomputed in Python (`refresh_minute_due_moments`); the caller commits."""
    today = utcnow().astimezone(MUSCAT).date()
    started_by = end_of_day(day)
    refresh_minute_due_moments(authority_ids, day)
    for model in SlaTracked.__subclasses__():
        due = current_due_date(model, today)
        # A record that keeps more by its due date (the queue's SLA band) writes it alongside.
        extra = model.with_due_date(due, today) if hasattr(model, "with_due_date") else {}
        db.session.execute(
            sa.update(model)
            .where(
                model.authority_id.in_(authority_ids),
                model.sla_started_at.is_not(None),
                model.sla_started_at <= started_by,
                model.sla_stopped_at.is_(None),
                model.sla_unit == SlaUnit.WORKING_DAYS,
            )
            .values(sla_due_date=due, **extra)
            .execution_options(synchronize_session=False)
        )
        # ... and what the calendar's change moves without a new due date (the band's bounds).
        if hasattr(model, "due_dates_moved"):
            model.due_dates_moved(authority_ids)


def refresh_minute_due_moments(authority_ids: list[int], day: date | None) -> int:
    """Store anew the due moment (`sla_due_at`) and date of every running minute target of
    these authorities whose due moment a change to `day` (None: to the working hours) can move:
    started by the end of that day, and due on or after it or paused (a paused clock's due
    moment is reckoned from now). Minute targets are hours long, so these are the few open
    ones of the last days: read and written one by one, on the calendar as this transaction
    has it. The count moved."""
    moved, now = 0, utcnow()
    for model in SlaTracked.__subclasses__():
        query = sa.select(model).where(
            model.authority_id.in_(authority_ids),
            model.sla_unit == SlaUnit.WORKING_MINUTES,
            model.sla_started_at.is_not(None),
            model.sla_stopped_at.is_(None),
        )
        if day is not None:
            since = end_of_day(day - timedelta(days=1))
            query = query.where(
                model.sla_started_at <= end_of_day(day),
                sa.or_(model.sla_due_at > since, model.sla_paused_at.is_not(None)),
            )
        for record in db.session.scalars(query):
            calendar = calendar_for(record.authority_id)
            due_at = record.clock.due_at(calendar, now)
            if due_at != record.sla_due_at:
                record.sla_due_at = due_at
                record.sla_due_date = due_at.astimezone(MUSCAT).date()
                moved += 1
    return moved


def declare_holiday(admin: User, data: dict[str, Any]) -> HolidayOverride:
    """Declare a day a holiday for the admin's authority, or for all (`all_authorities`)."""
    day = data["date"]
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationFailed({"date": [N_("The date is outside the calendar.")]})
    authority_id = None if data.get("all_authorities") else admin.authority_id
    if day in calendar_for(admin.authority_id).holidays:
        raise Conflict(code="already_a_holiday", detail=N_("This day is already a holiday."))
    override = HolidayOverride(
        authority_id=authority_id,
        day=day,
        kind="declared",
        name_ar=data["name_ar"],
        name_en=data["name_en"],
        created_by_id=admin.id,
    )
    db.session.add(override)
    db.session.flush()
    record_change(
        "holiday.declared",
        "holiday",
        day.isoformat(),
        authority_id=admin.authority_id,
        after={
            "day": day.isoformat(),
            "all_authorities": authority_id is None,
            "name_en": data["name_en"],
        },
    )
    _rebuild_affected(authority_id, day)
    return override


def cancel_holiday(admin: User, day: date, all_authorities: bool = False) -> None:
    """Make a holiday a working day again: withdraw a declaration, or cancel a package holiday."""
    calendar = calendar_for(admin.authority_id)
    if day not in calendar.holidays:
        raise NotFound(code="not_a_holiday", detail=N_("This day is not a holiday."))
    authority_id = None if all_authorities else admin.authority_id
    declared = db.session.scalars(
        sa.select(HolidayOverride).where(
            HolidayOverride.day == day,
            HolidayOverride.kind == "declared",
            HolidayOverride.withdrawn_at.is_(None),
            HolidayOverride.authority_id.is_(None)
            if authority_id is None
            else HolidayOverride.authority_id == authority_id,
        )
    ).all()
    for override in declared:
        override.withdrawn_at = utcnow()
    if not declared:
        db.session.add(
            HolidayOverride(
                authority_id=authority_id, day=day, kind="cancelled", created_by_id=admin.id
            )
        )
    db.session.flush()
    record_change(
        "holiday.cancelled",
        "holiday",
        day.isoformat(),
        authority_id=admin.authority_id,
        before={"day": day.isoformat(), "name_en": calendar.holidays[day][0]},
        after={"all_authorities": authority_id is None},
    )
    _rebuild_affected(authority_id, day)


def holidays_in_year(authority_id: int, year: int) -> list[dict[str, Any]]:
    calendar = calendar_for(authority_id)
    return [
        {"date": day, "name_en": names[0], "name_ar": names[1], "weekday": day.strftime("%A")}
        for day, names in sorted(calendar.holidays.items())
        if day.year == year
    ]


def start_day(moment: datetime) -> date:
    """The Muscat date on which a clock started at `moment` starts."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MUSCAT)
    return moment.astimezone(MUSCAT).date()


def end_of_day(day: date) -> datetime:
    """The last moment of `day` in Muscat: when a target that ends that day ends."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=MUSCAT) - timedelta(
        microseconds=1
    )


def outside_calendar(day: date) -> str | None:
    """The message for a day the calendar does not cover, or None when it covers it."""
    if FIRST_DAY <= day <= LAST_DAY:
        return None
    return OUTSIDE_CALENDAR.format(first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())


def due_date_report(authority_id: int, start: datetime, days: int) -> dict[str, Any]:
    """The due date of `days` working days started at `start`, and the days off it skipped.

    Raises ValidationFailed naming `start` when the calendar does not cover the start, and
    `days` when the target ends past the calendar's last day."""
    calendar = calendar_for(authority_id)
    first = start_day(start)
    if message := outside_calendar(first):
        raise ValidationFailed({"start": [message]})
    try:
        due = calendar.add(first, days)
    except OutOfRange:
        message = PAST_THE_CALENDAR.format(last=LAST_DAY.isoformat())
        raise ValidationFailed({"days": [message]}) from None
    return {
        "start": start,
        "days": days,
        "due_date": due,
        "due_at": end_of_day(due),
        "skipped": [
            {"date": off.day, "reason": off.reason, "name_en": off.name_en, "name_ar": off.name_ar}
            for off in calendar.days_off(first, due)
        ],
    }


def due_time_report(authority_id: int, start: datetime, minutes: int) -> dict[str, Any]:
    """The due moment of a target of `minutes` working minutes started at `start`, inside the
    authority's working hours on its working days, and the days off it skipped.

    Raises ValidationFailed naming `start` when the calendar does not cover the start, and
    `minutes` when the target ends past the calendar's last day."""
    calendar = calendar_for(authority_id)
    if start.tzinfo is None:
        start = start.replace(tzinfo=MUSCAT)
    first = start_day(start)
    if message := outside_calendar(first):
        raise ValidationFailed({"start": [message]})
    try:
        due_at = calendar.add_minutes(start, minutes)
    except OutOfRange:
        message = PAST_THE_CALENDAR.format(last=LAST_DAY.isoformat())
        raise ValidationFailed({"minutes": [message]}) from None
    due = due_at.date()
    return {
        "start": start,
        "minutes": minutes,
        "due_date": due,
        "due_at": due_at,
        "work_starts": clock_text(calendar.work_starts),
        "work_ends": clock_text(calendar.work_ends),
        "skipped": [
            {"date": off.day, "reason": off.reason, "name_en": off.name_en, "name_ar": off.name_ar}
            for off in calendar.days_off(first, due)
        ],
    }
