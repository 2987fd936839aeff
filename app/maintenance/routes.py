"""Announcements API: maintenance windows, listed publicly, announced by admins."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.access import PUBLIC, allow, require_user
from app.maintenance import services
from app.maintenance.hooks import maintenance_exempt
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from app.schemas import AuthorityRefSchema, MuscatDateTime

blp = Blueprint(
    "announcements", __name__, url_prefix="/api/v1", description="Maintenance announcements"
)


# A window is announced for real dates: before 1920 Asia/Muscat had no standard offset (its
# local mean time, +03:54:24, is no RFC 3339 offset), and no window lasts past this century.
WINDOW_SPAN = validate.Range(
    min=datetime(2000, 1, 1, tzinfo=UTC), max=datetime(2100, 1, 1, tzinfo=UTC)
)


class WindowInputSchema(Schema):
    starts_at = fields.AwareDateTime(
        required=True,
        validate=WINDOW_SPAN,
        metadata={"description": "ISO 8601 with offset, 2000 to 2100"},
    )
    ends_at = fields.AwareDateTime(required=True, validate=WINDOW_SPAN)
    message_ar = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    message_en = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    all_authorities = fields.Boolean(
        load_default=False, metadata={"description": "Suspend every authority, not only yours"}
    )


class WindowSchema(Schema):
    id = fields.Integer()
    authority = fields.Nested(
        AuthorityRefSchema, allow_none=True, metadata={"description": "null: all authorities"}
    )
    starts_at = MuscatDateTime()
    ends_at = MuscatDateTime()
    message_ar = fields.String()
    message_en = fields.String()
    in_force = fields.Method("_in_force")

    def _in_force(self, window) -> bool:
        return services.active_window(window.authority_id) is window


class WindowQuerySchema(Schema):
    authority = fields.String(
        metadata={"description": "Authority code; windows for all authorities are always listed"}
    )


@blp.route("/announcements")
class Announcements(MethodView):
    @allow(PUBLIC)
    @blp.arguments(WindowQuerySchema, location="query")
    @blp.response(200, WindowSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Maintenance windows in force now or announced for later"""
        return services.announced_windows(query.get("authority"))

    @allow("admin")
    @maintenance_exempt
    @blp.arguments(WindowInputSchema)
    @blp.response(201, WindowSchema)
    def post(self, data):
        """Announce a maintenance window for your authority, or for all"""
        return services.announce_window(require_user(), data)


@blp.route("/announcements/<int:window_id>")
class Announcement(MethodView):
    @allow("admin")
    @maintenance_exempt
    @blp.response(204)
    def delete(self, window_id):
        """Cancel a window, or end one in force now"""
        services.cancel_window(require_user(), window_id)
