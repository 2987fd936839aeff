"""Applications API shared by every family: the queue, one application, actions, messages,
documents; and the licence register."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request
from flask.views import MethodView

from app.access import ACTORS, AUTHENTICATED, PUBLIC, allow, require_user
from app.accounts.models import Role
from app.errors import NotFound
from app.extensions import db
from app.files import attachment
from app.files.storage import storage
from app.files.uploads import FILE_TYPES
from app.i18n import N_
from app.input import accepts_files, uploaded_file
from app.limits import rate_limited
from app.openapi import file_response, problems, upload_form
from app.pagination import (
    LINK_HEADER,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    Blueprint,
    CursorQuery,
    KeysetPage,
    SQLPage,
)
from app.reads import reads_only
from licensing import documents, reports, services
from licensing.licence_lifecycle import LicenceState
from licensing.models import Licence
from licensing.schemas import (
    ActionInput,
    ApplicationDetailSchema,
    ApplicationSchema,
    AssignInput,
    DocumentSchema,
    GenericApplicationInput,
    LicenceSchema,
    MessageInput,
    MessageSchema,
    QueueQuery,
    SlaReportQuery,
    SlaReportSchema,
    VerificationSchema,
    VerifyQuery,
)

blp = Blueprint(
    "applications", __name__, url_prefix="/api/v1", description="Applications and licences"
)


@blp.route("/applications")
class Applications(MethodView):
    @allow(AUTHENTICATED)
    @blp.arguments(QueueQuery, location="query")
    @blp.arguments(CursorQuery, location="query", as_kwargs=True)
    @blp.response(200, ApplicationSchema(many=True), headers={"Link": LINK_HEADER})
    @blp.paginate(KeysetPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, filters, cursor=None):
        """Applicants: their applications. Staff: their authority's work queue, by SLA due date

        Among applications due the same day, a verified priority applicant's (elderly, person
        with disability) come first; `priority` shows it, to staff only.
        By `page`, or by `cursor` for long lists: the `next_cursor` of the page before (in
        `X-Pagination`, and as the `Link` header's `rel="next"`), which reads on from where that
        page ended at the same cost however far into the list. The count stops at 1000 items
        past the page: `total_at_least` then stands for `total`, `total_pages` and `last_page`."""
        return services.applications_query(require_user(), filters).after(cursor)

    @allow(Role.APPLICANT)
    @blp.arguments(GenericApplicationInput)
    @blp.response(201, ApplicationDetailSchema)
    def post(self, data):
        """Apply for any other catalogue service (inspections, certificates, requests) as a draft.
        A licence of a family (register, renew, amend, cancel) is refused with 422 and the
        family's endpoint"""
        return services.create_generic_application(require_user(), data["service"], data["details"])


@blp.route("/applications/<int:application_id>")
class ApplicationItem(MethodView):
    @allow(AUTHENTICATED)
    @reads_only  # its answer is one statement (licensing.detail), after the session's look-up
    @blp.response(200, ApplicationDetailSchema)
    def get(self, application_id):
        """One application with its SLA and timeline (its applicant, or staff of its authority)"""
        # Already as the schema shows it (licensing.detail): a Response is not dumped again.
        return jsonify(services.read_application(require_user(), application_id))


@blp.route("/applications/<int:application_id>/actions/<string:action>")
class ApplicationAction(MethodView):
    @allow(*ACTORS)
    @problems(
        {
            403: (("forbidden", "the lifecycle table does not give the action to this role"),),
            409: (
                ("transition_not_allowed", "not from the application's current state"),
                ("documents_missing", "submit: mandatory documents missing, named in `missing`"),
                (
                    "breach_explanation_required",
                    "approve, issue, reject: the target was missed and nobody has said why yet",
                ),
            ),
        }
    )
    @blp.arguments(ActionInput)
    @blp.response(200, ApplicationDetailSchema)
    def post(self, data, application_id, action):
        """Move the application on: submit, start_review, schedule_inspection, record_inspection,
        request_info, answer, approve, issue, reject, withdraw, cancel (each for the roles the
        lifecycle table allows, from the states it allows: 403 or 409 otherwise)"""
        return services.act(require_user(), application_id, action, data)


@blp.route("/applications/<int:application_id>/assignment")
class Assignment(MethodView):
    @allow(Role.DEPARTMENT_HEAD, Role.ADMIN, Role.INSPECTOR)
    @blp.arguments(AssignInput)
    @blp.response(200, ApplicationSchema)
    def put(self, data, application_id):
        """Assign the application to an inspector of the authority (null: unassign)"""
        return services.assign(require_user(), application_id, data["assignee_id"])


@blp.route("/applications/<int:application_id>/messages")
class Messages(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, MessageSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, application_id):
        """The message thread between the applicant and staff"""
        return services.messages_query(require_user(), application_id)

    @allow(*ACTORS)
    @blp.arguments(MessageInput)
    @blp.response(201, MessageSchema)
    def post(self, data, application_id):
        """Write in the thread"""
        return services.add_message(require_user(), application_id, data["body"])


@blp.route("/applications/<int:application_id>/documents")
class Documents(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, DocumentSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, application_id):
        """The documents uploaded for the application"""
        return documents.documents_query(require_user(), application_id)

    @accepts_files
    @allow(Role.APPLICANT)
    @rate_limited("upload")
    @blp.doc(requestBody=upload_form(document_code={"type": "string"}))
    @blp.response(201, DocumentSchema)
    @problems(documents.DOCUMENT_UPLOAD_PROBLEMS)
    def post(self, application_id):
        """Upload one document the service asks for (PDF, JPEG or PNG, checked by content)"""
        code = request.form.get("document_code", "")
        filename, content = uploaded_file()
        return documents.upload_document(require_user(), application_id, code, filename, content)


@blp.route("/documents/<int:document_id>")
class DocumentFile(MethodView):
    @allow(AUTHENTICATED)
    @blp.doc(responses=file_response("The document as uploaded", FILE_TYPES))
    def get(self, document_id):
        """Download a document (its owner, or staff of the application's authority)"""
        document, content = documents.get_document(require_user(), document_id)
        return attachment(
            content,
            document.content_type,
            f"document-{document.id}.{document.storage_key.rsplit('.', 1)[1]}",
        )


@blp.route("/licences")
class Licences(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, LicenceSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self):
        """Holders: their licences. Staff: their authority's register"""
        user = require_user()
        query = sa.select(Licence).order_by(Licence.id.desc())
        if user.role == Role.APPLICANT:
            return query.where(Licence.holder_id == user.id)
        return query.where(Licence.authority_id == user.authority_id)


@blp.route("/licences/<string:number>")
class LicenceItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, LicenceSchema)
    def get(self, number):
        """One licence of the register"""
        return services.find_licence(require_user(), number)


@blp.route("/licences/<string:number>/document")
class LicenceDocument(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, {"format": "binary", "type": "string"}, content_type="application/pdf")
    def get(self, number):
        """The licence as a bilingual PDF"""
        licence = services.find_licence(require_user(), number)
        if not licence.document_key:
            raise NotFound(
                code="document_not_ready", detail=N_("The licence document is being prepared.")
            )
        return attachment(
            storage().load(licence.document_key), "application/pdf", f"{licence.number}.pdf"
        )


@blp.route("/licences/<string:number>/verify")
class LicenceVerification(MethodView):
    @allow(PUBLIC)
    @blp.arguments(VerifyQuery, location="query")
    @blp.response(200, VerificationSchema)
    def get(self, query, number):
        """Check a licence from its QR code: validity and public facts only, no personal data"""
        import hmac

        licence = db.session.scalar(sa.select(Licence).where(Licence.number == number))
        if licence is None or not hmac.compare_digest(licence.verification_code, query["code"]):
            raise NotFound()
        return {
            "valid": licence.state == LicenceState.ACTIVE,
            "number": licence.number,
            "authority": licence.authority,
            "service": licence.service,
            "valid_from": licence.valid_from,
            "valid_until": licence.valid_until,
            "state": licence.state,
        }


@blp.route("/reports/sla")
class SlaReport(MethodView):
    @allow(Role.DEPARTMENT_HEAD, Role.ADMIN, Role.AUDITOR)
    @blp.arguments(SlaReportQuery, location="query")
    @blp.response(200, SlaReportSchema)
    @blp.doc(
        responses={
            "200": {
                "description": "The report as JSON, or with `format=csv` (or `Accept: "
                "text/csv`) its `rows` as a CSV file",
                "content": {
                    "application/json": {"schema": SlaReportSchema},
                    "text/csv": {"schema": {"type": "string"}},
                },
            }
        }
    )
    def get(self, filters):
        """The SLA report of the caller's authority, per service, department, inspector,
        family or month

        `services` (as before): clocks started, met, breached, on track, at risk and paused,
        and the average working days used by decided applications, one line per service with
        at least one started clock, ordered by service code: the whole list, not paginated (it
        is bounded by the number of services). `rows`: per `group_by` (default `service`),
        received, completed, completed on time and late, the on-time percentage of those
        completed with a target, the median and 90th percentile working days used by the
        completed (pauses excluded), and open, breached (open past the due date) and paused
        now; a service with no target counts in received, completed and the working days,
        never as on time, late or breached. `from` and `to` are Asia/Muscat dates on which the
        clock started (submitted, and paid where a fee is due); `service` a service code.
        States follow the SLA clock's rule (day 1 of a target is the first working day after
        the start; at risk is one working day or less left; breached is decided after the due
        date or still open past it) and are counted on today's Muscat date. `format=csv`, or
        `Accept: text/csv`: `rows` as a CSV file (UTF-8 with a BOM, a header row)."""
        if request.accept_mimetypes.best_match(("application/json", "text/csv")) == "text/csv":
            filters["format"] = "csv"
        report = reports.sla_report(require_user(), filters)
        if filters["format"] == "csv":
            text = reports.sla_csv(report).encode("utf-8")
            return attachment(text, "text/csv; charset=utf-8", f"sla-{report['group_by']}.csv")
        return report
