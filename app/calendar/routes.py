"""Calendar API: due dates in working days, and the holidays of each year."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate

from app.access import PUBLIC, allow, require_user
from app.accounts.models import Role
from app.calendar import services
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE
from app.schemas import MuscatDateTime, MuscatLocalDateTime

RULE = (
    "Working days exclude Fridays, Saturdays and public holidays (the `holidays` package's Omani "
    "holidays, with the holidays admins declare, cancel or move). Day 1 of a target is the first "
    "working day after the day the clock starts; a target of N days ends at the end of the Nth "
    "working day (Asia/Muscat). A target of 0 (instant) ends the day it starts if that is a "
    "working day, else at the end of the next working day: a due date is never a day off."
)

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
        required=True,
        validate=validate.Range(min=0, max=365),
        metadata={
            "description": (
                "The target in working days (0: instant); the due date must fall within the "
                "calendar's span, or the answer is 422 naming `days`"
            )
        },
    )


class SkippedDaySchema(Schema):
    date = fields.Date()
    reason = fields.String(metadata={"description": "weekend or holiday"})
    name_en = fields.String(allow_none=True)
    name_ar = fields.String(allow_none=True)


class DueDateSchema(Schema):
    start = MuscatDateTime()
    days = fields.Integer()
    due_date = fields.Date()
    due_at = MuscatDateTime(
        metadata={"description": "The last moment of the due date, Asia/Muscat"}
    )
    skipped = fields.List(fields.Nested(SkippedDaySchema))


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
        """Due date of a target of `days` working days started at `start`, with the days skipped"""
        authority_id = services.authority_id_for(query.get("authority"))
        return services.due_date_report(authority_id, query["start"], query["days"])


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
