"""Calendar API: due dates in working days, due times in working minutes, each authority's
working hours, and the holidays of each year."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.access import PUBLIC, allow, require_user
from app.accounts.models import Role
from app.calendar import services
from app.i18n import N_
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE
from app.schemas import MuscatDateTime, MuscatLocalDateTime

RULE = (
    "Working days exclude Fridays, Saturdays and public holidays (the `holidays` package's Omani "
    "holidays, with the holidays admins declare, cancel or move). Day 1 of a target is the first "
    "working day after the day the clock starts; a target of N days ends at the end of the Nth "
    "working day (Asia/Muscat). A target of 0 (instant) ends the day it starts if that is a "
    "working day, else at the end of the next working day: a due date is never a day off. "
    "A target in working minutes (or hours) counts inside the authority's working hours "
    "(8:00–14:30 by default) on working days only: started outside them it counts from the "
    "next start of work, and it is due at the moment that much working time has passed."
)

MAX_MINUTES = 20 * 390  # 20 working days of 8:00–14:30: a longer target is asked in days
ONE_TARGET = N_("Give exactly one of days, hours and minutes.")
HH_MM = N_("A time of day as HH:MM, from 00:00 to 24:00.")

blp = Blueprint(
    "calendar", __name__, url_prefix="/api/v1/calendar", description="Working-day calendar. " + RULE
)


class AuthorityQuery(Schema):
    authority = fields.String(
        metadata={"description": "Authority code; North Al Batinah's calendar by default"}
    )


def _within_the_calendar(moment) -> None:
    try:
        day = services.start_day(moment)
    except OverflowError:  # before year 1 or after 9999 in Muscat: far outside either way
        day = moment.date()
    if message := services.outside_calendar(day):
        raise ValidationError(message)


class DueDateQuery(AuthorityQuery):
    start = MuscatLocalDateTime(
        required=True,
        validate=_within_the_calendar,
        metadata={
            "description": (
                "When the clock starts, ISO 8601: with an offset (`2026-12-17T09:00:00+04:00`) "
                "as given; without one (`2026-12-17T09:00:00`) or as a plain date "
                "(`2026-12-17`, its start) in Asia/Muscat local time. Must fall in "
                f"{services.FIRST_DAY.year}-{services.LAST_DAY.year}, the calendar's span."
            )
        },
    )
    days = fields.Integer(
        validate=validate.Range(min=0, max=365),
        metadata={
            "description": (
                "The target in working days (0: instant); the due date must fall within the "
                "calendar's span, or the answer is 422 naming `days`. Exactly one of `days`, "
                "`hours` and `minutes` is given"
            )
        },
    )
    hours = fields.Integer(
        validate=validate.Range(min=1, max=MAX_MINUTES // 60),
        metadata={
            "description": "A target in working hours, inside the authority's working hours: "
            "the answer gives its due moment (`due_at`) and `minutes`"
        },
    )
    minutes = fields.Integer(
        validate=validate.Range(min=1, max=MAX_MINUTES),
        metadata={
            "description": "A target in working minutes, inside the authority's working hours "
            "(8:00–14:30 by default) on working days: the answer gives its due moment "
            "(`due_at`); past the calendar's span the answer is 422 naming `minutes`"
        },
    )

    @validates_schema
    def one_target(self, data, **kwargs):
        given = [name for name in ("days", "hours", "minutes") if name in data]
        if len(given) != 1:
            raise ValidationError(ONE_TARGET, given[1] if len(given) > 1 else "days")


class SkippedDaySchema(Schema):
    date = fields.Date()
    reason = fields.String(metadata={"description": "weekend or holiday"})
    name_en = fields.String(allow_none=True)
    name_ar = fields.String(allow_none=True)


class DueDateSchema(Schema):
    start = MuscatDateTime()
    days = fields.Integer(metadata={"description": "Present for a target in days"})
    minutes = fields.Integer(
        metadata={"description": "Present for a target in hours or minutes: it, in minutes"}
    )
    due_date = fields.Date()
    due_at = MuscatDateTime(
        metadata={
            "description": "A target in days: the last moment of the due date; in hours or "
            "minutes: the due moment. Asia/Muscat"
        }
    )
    work_starts = fields.String(
        metadata={
            "description": "Present for a target in hours or minutes: the working day's "
            "start (HH:MM)"
        }
    )
    work_ends = fields.String(
        metadata={"description": "Present for a target in hours or minutes: its end (HH:MM)"}
    )
    skipped = fields.List(fields.Nested(SkippedDaySchema))


class WorkingHoursSchema(Schema):
    authority = fields.String()
    work_starts = fields.String(metadata={"example": "08:00"})
    work_ends = fields.String(metadata={"example": "14:30"})


def _minute_of_day(text: str) -> int:
    try:
        hour, minute = text.split(":")
        if len(hour) != 2 or len(minute) != 2:
            raise ValueError
        value = int(hour) * 60 + int(minute)
    except ValueError:
        raise ValidationError(HH_MM) from None
    if not 0 <= int(minute) < 60 or not 0 <= value <= 24 * 60:
        raise ValidationError(HH_MM)
    return value


class ClockTime(fields.String):
    """A time of day, "HH:MM" (Asia/Muscat), loaded as minutes after midnight."""

    def _deserialize(self, value, attr, data, **kwargs):
        return _minute_of_day(super()._deserialize(value, attr, data, **kwargs))


class WorkingHoursInputSchema(Schema):
    work_starts = ClockTime(metadata={"example": "08:00", "description": "HH:MM, Asia/Muscat"})
    work_ends = ClockTime(metadata={"example": "14:30", "description": "HH:MM, Asia/Muscat"})


class HolidayQuery(AuthorityQuery):
    year = fields.Integer(
        required=True,
        validate=validate.Range(min=services.FIRST_DAY.year, max=services.LAST_DAY.year),
    )


class HolidaySchema(Schema):
    date = fields.Date()
    weekday = fields.String()
    name_en = fields.String()
    name_ar = fields.String()


class HolidayInputSchema(Schema):
    date = fields.Date(required=True)
    name_ar = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    all_authorities = fields.Boolean(load_default=False)


class CancelQuery(Schema):
    all_authorities = fields.Boolean(load_default=False)


@blp.route("/due-date")
class DueDate(MethodView):
    @allow(PUBLIC)
    @blp.arguments(DueDateQuery, location="query")
    @blp.response(200, DueDateSchema)
    def get(self, query):
        """Due date of a target of `days` working days, or due time of one of `hours` or
        `minutes` working minutes, started at `start`, with the days skipped"""
        authority_id = services.authority_id_for(query.get("authority"))
        if "days" in query:
            return services.due_date_report(authority_id, query["start"], query["days"])
        minutes = query["minutes"] if "minutes" in query else query["hours"] * 60
        return services.due_time_report(authority_id, query["start"], minutes)


@blp.route("/working-hours")
class WorkingHours(MethodView):
    @allow(PUBLIC)
    @blp.arguments(AuthorityQuery, location="query")
    @blp.response(200, WorkingHoursSchema)
    def get(self, query):
        """The authority's working day, inside which targets in minutes and hours count"""
        authority_id = services.authority_id_for(query.get("authority"))
        return services.working_hours_view(services.authority_by_id(authority_id))

    @allow(Role.ADMIN)
    @blp.arguments(WorkingHoursInputSchema)
    @blp.response(200, WorkingHoursSchema)
    def patch(self, data):
        """Set your authority's working day (audited); running minute targets' due times move"""
        return services.working_hours_view(services.set_working_hours(require_user(), data))


@blp.route("/holidays")
class Holidays(MethodView):
    @allow(PUBLIC)
    @blp.arguments(HolidayQuery, location="query")
    @blp.response(200, HolidaySchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query, pagination_parameters):
        """The public holidays of a year, as the authority keeps them"""
        found = services.holidays_in_year(
            services.authority_id_for(query.get("authority")), query["year"]
        )
        pagination_parameters.item_count = len(found)
        first = pagination_parameters.first_item
        return found[first : first + pagination_parameters.page_size]

    @allow(Role.ADMIN)
    @blp.arguments(HolidayInputSchema)
    @blp.response(201, HolidaySchema)
    def post(self, data):
        """Declare a holiday for your authority or for all (to move one: cancel, then declare)"""
        override = services.declare_holiday(require_user(), data)
        return {
            "date": override.day,
            "weekday": override.day.strftime("%A"),
            "name_en": override.name_en,
            "name_ar": override.name_ar,
        }


@blp.route("/holidays/<isodate:day>")
class Holiday(MethodView):
    @allow(Role.ADMIN)
    @blp.arguments(CancelQuery, location="query")
    @blp.response(204)
    def delete(self, query, day):
        """Make a holiday a working day again (a declared one, or one the moon sighting moved)"""
        services.cancel_holiday(require_user(), day, query["all_authorities"])
