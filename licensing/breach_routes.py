"""An application's breach explanations (issue 15): recorded by the staff answering for it,
read by its applicant (in their language) and by staff of its authority; and the monthly SLA
report, as a PDF, that lists them beside the month's figures."""

from __future__ import annotations

from datetime import date

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate

from app.access import AUTHENTICATED, allow, require_user
from app.accounts.models import Role
from app.breaches.schemas import ExplanationInput, ExplanationSchema
from app.files import attachment
from app.openapi import problems
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint, SQLPage
from licensing import breaches, monthly_report

blp = Blueprint(
    "application_breaches",
    __name__,
    url_prefix="/api/v1",
    description="Explanations of applications that missed their SLA target",
)


@blp.route("/applications/<int:application_id>/breach-explanations")
class ApplicationBreachExplanations(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, ExplanationSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, application_id):
        """Why the application missed its target and what is being done

        Its applicant reads each explanation in their language; staff of its authority read
        both languages and the role of who wrote it. Oldest first."""
        return breaches.breach_explanations_query(require_user(), application_id)

    @allow(Role.INSPECTOR, Role.DEPARTMENT_HEAD, Role.ADMIN)
    @problems(
        {
            403: (("forbidden", "not its assignee, its department's head or an admin"),),
            409: (("not_breached", "the application has not missed its target"),),
        }
    )
    @blp.arguments(ExplanationInput)
    @blp.response(201, ExplanationSchema)
    def post(self, data, application_id):
        """Record why the application missed its target and what is being done

        By its assignee, a department head of its service's department, or an admin of its
        authority; only once the target is missed (409 `not_breached` before). The reason and
        what is being done are required in the applicant's language (422 naming the field); the
        other language is both or neither. The applicant is told in their language (in-app,
        e-mail, SMS), the timeline shows `explain_breach` and the audit log
        `breach.explained`. Until one is recorded, approve, issue and reject are refused with
        409 `breach_explanation_required`."""
        return breaches.explain_breach(require_user(), application_id, data)


def _month_in_calendar(value: str) -> None:
    """A month the calendar counts (2020 to 2040), checked before it is made a date."""
    year = value[:4]
    if not year.isdigit():
        return  # not YYYY-MM: the pattern says so
    if not monthly_report.FIRST_MONTH.year <= int(year) <= monthly_report.LAST_MONTH.year:
        raise ValidationError(monthly_report.MONTH_OUTSIDE_CALENDAR)


class MonthlyReportQuery(Schema):
    month = fields.String(
        required=True,
        validate=[validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"), _month_in_calendar],
        metadata={"description": "The month, YYYY-MM (Asia/Muscat dates)", "example": "2026-11"},
    )
    lang = fields.String(
        validate=validate.OneOf(["ar", "en"]),
        metadata={"description": "ar (right to left) or en; the caller's language by default"},
    )


@blp.route("/reports/sla/monthly")
class MonthlySlaReport(MethodView):
    @allow(Role.DEPARTMENT_HEAD, Role.ADMIN)
    @blp.arguments(MonthlyReportQuery, location="query")
    @blp.response(200, {"format": "binary", "type": "string"}, content_type="application/pdf")
    def get(self, query):
        """The monthly SLA report of the caller's authority, as a PDF in Arabic or English

        The month's figures per department (applications whose clock started in the month:
        received, completed, on time, median and 90th percentile working days; open, breached
        and waiting on the applicant as of today), a chart of the on-time percentage per service
        family, the services that missed their targets and the breach explanations recorded in
        the month."""
        user = require_user()
        year, month = (int(part) for part in query["month"].split("-"))
        lang = query.get("lang") or user.preferred_language
        pdf = monthly_report.monthly_report_pdf(user, date(year, month, 1), lang)
        authority = user.authority.code if user.authority else "report"
        return attachment(pdf, "application/pdf", f"sla-{authority}-{query['month']}-{lang}.pdf")
