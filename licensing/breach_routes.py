"""An application's breach explanations (issue 15): recorded by the staff answering for it,
read by its applicant (in their language) and by staff of its authority."""

from __future__ import annotations

from flask.views import MethodView

from app.access import AUTHENTICATED, allow, require_user
from app.accounts.models import Role
from app.breaches.schemas import ExplanationInput, ExplanationSchema
from app.openapi import problems
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint, SQLPage
from licensing import breaches

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
