"""Audit log API: the caller's authority's chain, as pages and as a CSV export."""

from __future__ import annotations

from flask import stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.access import allow, require_user
from app.accounts.models import Role
from app.audit import services
from app.files import attachment
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from app.schemas import MuscatDateTime
from app.subjects import SubjectField

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit log")
AUDITORS = (Role.ADMIN, Role.AUDITOR)


class AuditQuery(Schema):
    first = fields.Date(data_key="from", metadata={"description": "First day (Asia/Muscat)"})
    last = fields.Date(data_key="to", metadata={"description": "Last day (Asia/Muscat), inclusive"})
    subject = SubjectField()


class AuditEntrySchema(Schema):
    id = fields.Integer()
    chain = fields.Integer()
    seq = fields.Integer()
    at = MuscatDateTime()
    actor_id = fields.Integer(allow_none=True)
    actor_role = fields.String(allow_none=True)
    action = fields.String()
    subject_type = fields.String()
    subject_id = fields.String()
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    prev_hash = fields.String()
    hash = fields.String()


@blp.route("")
class AuditLog(MethodView):
    @allow(*AUDITORS)
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditEntrySchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Your authority's audit rows, in chain order: by period and subject

        `from` and `to` are Asia/Muscat dates (inclusive) of the change; `subject` is type:id.
        Each row carries its link of the authority's hash chain (`seq`, `prev_hash`, `hash`)."""
        user = require_user()
        return services.audit_query(services.AuditFilter.for_authority(user.authority_id, query))


@blp.route("/export.csv")
class AuditExport(MethodView):
    @allow(*AUDITORS)
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, query):
        """Your authority's audit rows as CSV, streamed, with each row's hash (the export is
        itself audited)

        The columns are the hashed fields in their canonical form (README, "Audit log"), so
        the hash of every row, and the chain between consecutive rows, can be recomputed."""
        user = require_user()
        wanted = services.AuditFilter.for_authority(user.authority_id, query)
        services.record_export(wanted, user.authority_id)
        lines = stream_with_context(services.csv_lines(wanted))
        return attachment(lines, "text/csv", f"audit-{user.authority.code}.csv")
