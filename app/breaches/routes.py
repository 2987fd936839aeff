"""The managers' listing of breach explanations. Each record's own endpoints record and read
them (`POST /api/v1/applications/{id}/breach-explanations`, licensing)."""

from __future__ import annotations

from flask.views import MethodView

from app.access import allow, require_user
from app.accounts.models import Role
from app.breaches.schemas import ExplanationSchema, ExplanationsQuery
from app.breaches.services import explanations_between
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint, SQLPage

blp = Blueprint(
    "breaches", __name__, url_prefix="/api/v1", description="Explanations of missed SLA targets"
)


@blp.route("/breach-explanations")
class BreachExplanations(MethodView):
    @allow(Role.DEPARTMENT_HEAD, Role.ADMIN, Role.AUDITOR)
    @blp.arguments(ExplanationsQuery, location="query")
    @blp.response(200, ExplanationSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, filters):
        """The explanations of missed targets recorded in the caller's authority

        `from` and `to` are the Asia/Muscat dates on which they were recorded (inclusive), oldest
        first; both languages, and the role of who wrote each."""
        user = require_user()
        return explanations_between(user.authority_id, filters.get("first"), filters.get("last"))
