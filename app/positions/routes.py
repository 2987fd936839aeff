"""Positions API: the positions of an authority's staff that escalations reach, kept by its
admins."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.access import allow, require_user
from app.accounts.models import Role
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from app.positions import services
from app.positions.schemas import (
    PositionInputSchema,
    PositionQuerySchema,
    PositionSchema,
    PositionUpdateSchema,
)

blp = Blueprint(
    "positions",
    __name__,
    url_prefix="/api/v1/positions",
    description="Positions staff hold (director, department heads, section managers, office "
    "directors): whom each level of an escalation reaches",
)


@blp.route("")
class Positions(MethodView):
    @allow(Role.ADMIN)
    @blp.arguments(PositionQuerySchema, location="query")
    @blp.response(200, PositionSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Your authority's positions, by department or code; `unfilled=true` for those nobody
        active holds

        Each says how many escalations passed over it while it was unfilled (`passed_over`) and
        when last: an unfilled position, or one whose holder was deactivated, passes its
        escalations one level up (`reports_to`, and at the top the director)."""
        return services.position_query(require_user(), query)

    @allow(Role.ADMIN)
    @blp.arguments(PositionInputSchema)
    @blp.response(201, PositionSchema)
    def post(self, data):
        """Add a position to your authority

        A department head or a section manager names its `department`; the director has none
        and reports to no one (one director per authority, one head per department). The holder
        is an active member of your staff. Audited."""
        return services.create_position(require_user(), data)


@blp.route("/<int:position_id>")
class PositionItem(MethodView):
    @allow(Role.ADMIN)
    @blp.response(200, PositionSchema)
    def get(self, position_id):
        """One position of your authority"""
        return services.get_position(require_user(), position_id)

    @allow(Role.ADMIN)
    @blp.arguments(PositionUpdateSchema)
    @blp.response(200, PositionSchema)
    def patch(self, data, position_id):
        """Rename a position, fill it, vacate it (`holder: null`) or change whom it reports to

        `reports_to` may not lead, through other positions, back to this one. Audited with the
        values before and after. A position of another authority answers 404."""
        return services.update_position(require_user(), position_id, data)
