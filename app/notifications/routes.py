"""Notifications API: the caller's in-app notices, and the delivery log for staff."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.access import AUTHENTICATED, STAFF, allow, require_user
from app.accounts.terms import terms_exempt
from app.notifications import services
from app.notifications.models import DeliveryState
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from app.schemas import MuscatDateTime
from app.subjects import SubjectField

blp = Blueprint(
    "notifications", __name__, url_prefix="/api/v1/notifications", description="Notifications"
)


class InboxQuery(Schema):
    unread = fields.Boolean(
        load_default=False, metadata={"description": "Only notices not yet read"}
    )


class NoticeSchema(Schema):
    id = fields.Integer()
    event = fields.String()
    title = fields.String()
    body = fields.String(attribute="body_text")
    subject_type = fields.String(allow_none=True)
    subject_id = fields.String(allow_none=True)
    created_at = MuscatDateTime()
    read = fields.Method("_read")

    def _read(self, row) -> bool:
        return row.read_at is not None


class LogQuery(Schema):
    subject = SubjectField()
    state = fields.String(validate=validate.OneOf([s.value for s in DeliveryState]))


class DeliverySchema(Schema):
    id = fields.Integer()
    recipient_id = fields.Integer(attribute="user_id")
    channel = fields.String()
    event = fields.String()
    language = fields.String()
    subject_type = fields.String(allow_none=True)
    subject_id = fields.String(allow_none=True)
    state = fields.String()
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    sms_parts = fields.Integer(allow_none=True)
    next_attempt_at = MuscatDateTime(allow_none=True)
    created_at = MuscatDateTime()
    sent_at = MuscatDateTime(allow_none=True)


@blp.route("")
class Inbox(MethodView):
    @allow(AUTHENTICATED)
    @blp.arguments(InboxQuery, location="query")
    @blp.response(200, NoticeSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """The caller's in-app notices, newest first"""
        return services.inbox_query(require_user(), query["unread"])


@blp.route("/<int:notification_id>/read")
class Read(MethodView):
    @allow(AUTHENTICATED)
    @terms_exempt
    @blp.response(200, NoticeSchema)
    def post(self, notification_id):
        """Mark one of the caller's notices read"""
        return services.mark_read(require_user(), notification_id)


@blp.route("/log")
class DeliveryLog(MethodView):
    @allow(*STAFF)
    @blp.arguments(LogQuery, location="query")
    @blp.response(200, DeliverySchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Delivery log of your authority's notices, by subject or state (no addresses, no texts)"""
        return services.delivery_log_query(require_user(), query.get("subject"), query.get("state"))
