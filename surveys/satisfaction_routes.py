"""Satisfaction: ratings of closed applications and refunds by their person, and the report."""

from __future__ import annotations

from flask.views import MethodView

from app.access import AUTHENTICATED, allow, require_user
from app.accounts.models import Role
from app.files import attachment
from app.openapi import problems
from app.pagination import Blueprint
from surveys import ratings, report
from surveys.satisfaction_schemas import (
    SatisfactionRatingInput,
    SatisfactionRatingSchema,
    SatisfactionReportQuery,
    SatisfactionReportSchema,
)

blp = Blueprint(
    "satisfaction", __name__, url_prefix="/api/v1", description="Satisfaction ratings and report"
)
RATING_PROBLEMS = {
    409: (
        ("not_closed", "the record is not in a final state yet"),
        ("already_rated", "it has been rated; a rating is given once"),
    )
}


@blp.route("/applications/<int:application_id>/rating")
class ApplicationRating(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, SatisfactionRatingSchema)
    def get(self, application_id):
        """The application's satisfaction rating (its applicant, or staff of its authority)"""
        return ratings.application_rating(require_user(), application_id)

    @allow(Role.APPLICANT)
    @problems(RATING_PROBLEMS)
    @blp.arguments(SatisfactionRatingInput)
    @blp.response(201, SatisfactionRatingSchema)
    def post(self, data, application_id):
        """Rate your application, 1 to 5 with a comment, once it is issued, rejected, withdrawn
        or cancelled"""
        return ratings.rate_application(
            require_user(), application_id, data["score"], data.get("comment")
        )


@blp.route("/refunds/<int:refund_id>/rating")
class RefundRating(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, SatisfactionRatingSchema)
    def get(self, refund_id):
        """The refund's satisfaction rating (its payer, or staff of its authority)"""
        return ratings.refund_rating(require_user(), refund_id)

    @allow(Role.APPLICANT)
    @problems(RATING_PROBLEMS)
    @blp.arguments(SatisfactionRatingInput)
    @blp.response(201, SatisfactionRatingSchema)
    def post(self, data, refund_id):
        """Rate your refund, 1 to 5 with a comment, once it is refunded, rejected or withdrawn"""
        return ratings.rate_refund(require_user(), refund_id, data["score"], data.get("comment"))


@blp.route("/reports/satisfaction")
class SatisfactionReport(MethodView):
    @allow(Role.DEPARTMENT_HEAD, Role.ADMIN, Role.AUDITOR)
    @blp.arguments(SatisfactionReportQuery, location="query")
    @blp.response(200, SatisfactionReportSchema)
    @blp.doc(
        responses={
            "200": {
                "description": "The report as JSON, or with `format=csv` as a CSV file",
                "content": {
                    "application/json": {"schema": SatisfactionReportSchema},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, filters):
        """Satisfaction of your authority: ratings, mean and spread 1–5 per service,
        department or month (Asia/Muscat)

        `from` and `to` are Muscat dates (inclusive) on which ratings were given. `groups` is the
        whole list (bounded by the services, departments or months), ordered by key, ratings
        counted under no service or department last; `total` is every rating of the span.
        `format=csv` answers the same figures as a CSV file with a total row `ALL`."""
        figures = report.satisfaction_report(require_user(), filters)
        if filters["format"] == "csv":
            text = report.report_csv(figures).encode("utf-8")
            return attachment(
                text, "text/csv; charset=utf-8", f"satisfaction-{filters['group']}.csv"
            )
        return figures
