"""Cases API: filing each kind, the staff queue and the person's list, one case, its actions,
thread, evidence and rating; publishing suggestions; reading an anonymous inquiry's answer."""

from __future__ import annotations

from flask.views import MethodView

from app.access import ACTORS, AUTHENTICATED, PUBLIC, allow, current_user, require_user
from app.accounts.models import Role
from app.errors import NotFound, ValidationFailed
from app.files import attachment
from app.files.uploads import FILE_TYPES
from app.i18n import N_
from app.input import accepts_files, uploaded_file
from app.limits import rate_limited
from app.moderation import MODERATORS
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
from cases import evidence, services
from cases.filing import file_case, find_authority
from cases.kinds import Kind
from cases.schemas import (
    CaseActionInput,
    CaseDetailSchema,
    CaseEvidenceSchema,
    CaseFilingInput,
    CaseMessageInput,
    CaseMessageSchema,
    CaseModerationInput,
    CaseQueueQuery,
    CaseRatingInput,
    CaseRatingSchema,
    CaseSchema,
    ComplaintInput,
    FiledSchema,
    InquiryAnswerSchema,
    InquiryTokenQuery,
    PublishedSuggestionSchema,
    PublishedSuggestionsQuery,
    SuggestionInput,
    filed_view,
)

blp = Blueprint(
    "cases",
    __name__,
    url_prefix="/api/v1",
    description="Complaints, suggestions and comments, inquiries and support tickets",
)
FILERS = (Role.APPLICANT, Role.INSPECTOR, Role.DEPARTMENT_HEAD, Role.ADMIN)
HANDLING = (Role.INSPECTOR, Role.DEPARTMENT_HEAD, Role.ADMIN)
MODERATING = tuple(sorted(MODERATORS))


def _file(kind: Kind, data: dict, actor=None):
    actor = actor if actor is not None else require_user()
    return filed_view(file_case(actor, kind, find_authority(data.pop("authority")), data))


@blp.route("/complaints")
class Complaints(MethodView):
    @allow(*FILERS)
    @blp.arguments(ComplaintInput)
    @blp.response(201, FiledSchema)
    def post(self, data):
        """File a complaint: place and time, the party complained of, a clear description

        The complainant is the caller's account (its name, ID, address and phone). Staff file
        for a caller or a walk-in (staff intake): `person_id` or `contact`, and the `channel`.
        Confidential by default: only the complainant and the handling department see it.
        Add evidence files with `POST /cases/{id}/evidence`."""
        return _file(Kind.COMPLAINT, data)


@blp.route("/suggestions")
class Suggestions(MethodView):
    @allow(*FILERS)
    @blp.arguments(SuggestionInput)
    @blp.response(201, FiledSchema)
    def post(self, data):
        """Send a suggestion or a comment (`kind`); it may be published with its answer"""
        return _file(Kind(data.pop("kind")), data)


@blp.route("/suggestions/published")
class PublishedSuggestions(MethodView):
    @allow(PUBLIC)
    @blp.arguments(PublishedSuggestionsQuery, location="query")
    @blp.response(200, PublishedSuggestionSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Suggestions and comments published with their answers, after moderation"""
        return services.published_query(query.get("authority"))


@blp.route("/inquiries")
class Inquiries(MethodView):
    @allow(PUBLIC)
    @rate_limited("register")  # an inquiry without an account: limited per address, no captcha
    @blp.arguments(CaseFilingInput)
    @blp.response(201, FiledSchema)
    def post(self, data):
        """Ask a question, with an account or without one (then `contact` is required)

        Answer includes `faq_search`: the FAQ search for the question, which may answer it at
        once. Without an account the answer also carries `token`, shown once: the answer is
        read at `GET /inquiries/{reference}?token=` and sent to the contact's e-mail or phone."""
        actor = current_user()
        if actor is not None and actor.role == Role.AUDITOR:
            raise ValidationFailed({"authority": [N_("Auditors only read.")]})
        return filed_view(
            file_case(actor, Kind.INQUIRY, find_authority(data.pop("authority")), data)
        )


@blp.route("/inquiries/<string:reference>")
class InquiryAnswer(MethodView):
    @allow(PUBLIC)
    @blp.arguments(InquiryTokenQuery, location="query")
    @blp.response(200, InquiryAnswerSchema)
    def get(self, query, reference):
        """A case without an account (an anonymous inquiry, a walk-in) and its answer, read with
        the token it was filed with (404 without it)"""
        return services.read_with_token(reference, query["token"])


@blp.route("/tickets")
class Tickets(MethodView):
    @allow(*FILERS)
    @blp.arguments(CaseFilingInput)
    @blp.response(201, FiledSchema)
    def post(self, data):
        """Report a fault or ask for technical support: the authority's IT department answers
        within one working day"""
        return _file(Kind.TICKET, data)


@blp.route("/cases")
class Cases(MethodView):
    @allow(AUTHENTICATED)
    @blp.arguments(CaseQueueQuery, location="query")
    @blp.arguments(CursorQuery, location="query", as_kwargs=True)
    @blp.response(200, CaseSchema(many=True), headers={"Link": LINK_HEADER})
    @blp.paginate(KeysetPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, filters, cursor=None):
        """Applicants: their cases, newest first. Staff: their authority's queue, by due date

        By `page`, or by `cursor` (the `next_cursor` of the page before, in `X-Pagination` and
        the `Link` header) for long lists."""
        return services.cases_query(require_user(), filters).after(cursor)


@blp.route("/cases/<int:case_id>")
class CaseItem(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, CaseDetailSchema)
    def get(self, case_id):
        """One case with its SLA and timeline (its person, or the staff handling it)"""
        return services.get_case(require_user(), case_id)[0]


@blp.route("/cases/<int:case_id>/actions/<string:action>")
class CaseAction(MethodView):
    @allow(*ACTORS)
    @problems(
        {
            403: (("forbidden", "the lifecycle table does not give the action to this role"),),
            409: (
                ("transition_not_allowed", "not from the case's state, or not for its kind"),
                ("reopen_window_closed", "reopen: more than 10 working days after the answer"),
            ),
        }
    )
    @blp.arguments(CaseActionInput)
    @blp.response(200, CaseDetailSchema)
    def post(self, data, case_id, action):
        """Move the case on: acknowledge, study, reassign (`department`), forward (`authority`,
        `note`), answer (`answer`; a suggestion's `decision`), close, reopen (`note`; a second
        time escalates)"""
        return services.act(require_user(), case_id, action, data)


@blp.route("/cases/<int:case_id>/messages")
class CaseMessages(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, CaseMessageSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, case_id):
        """The thread between the person and the staff"""
        return services.messages_query(require_user(), case_id)

    @allow(*ACTORS)
    @blp.arguments(CaseMessageInput)
    @blp.response(201, CaseMessageSchema)
    def post(self, data, case_id):
        """Write in the thread: the person's message tells the assignee (or the department head)"""
        return services.add_message(require_user(), case_id, data["body"])


@blp.route("/cases/<int:case_id>/evidence")
class CaseEvidenceFiles(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, CaseEvidenceSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, case_id):
        """The case's evidence files"""
        return evidence.evidence_query(require_user(), case_id)

    @accepts_files
    @allow(*FILERS)
    @rate_limited("upload")
    @blp.doc(requestBody=upload_form())
    @blp.response(201, CaseEvidenceSchema)
    @problems(evidence.EVIDENCE_UPLOAD_PROBLEMS)
    def post(self, case_id):
        """Add an evidence file (PDF, JPEG or PNG, checked by content)"""
        filename, content = uploaded_file()
        return evidence.upload_evidence(require_user(), case_id, filename, content)


@blp.route("/case-evidence/<int:evidence_id>")
class CaseEvidenceFile(MethodView):
    @allow(AUTHENTICATED)
    @blp.doc(responses=file_response("The file as uploaded", FILE_TYPES))
    def get(self, evidence_id):
        """Download an evidence file (whoever may see its case)"""
        found, content = evidence.get_evidence(require_user(), evidence_id)
        return attachment(
            content,
            found.content_type,
            f"evidence-{found.id}.{found.storage_key.rsplit('.', 1)[1]}",
        )


@blp.route("/cases/<int:case_id>/rating")
class CaseRating(MethodView):
    @allow(Role.APPLICANT)
    @problems(
        {409: (("already_rated", "a case is rated once"), ("case_not_closed", "no answer yet"))}
    )
    @blp.arguments(CaseRatingInput)
    @blp.response(201, CaseRatingSchema)
    def post(self, data, case_id):
        """Rate the answer of your case (1 to 5, and a comment), once"""
        return services.rate_case(require_user(), case_id, data["score"], data.get("comment"))


@blp.route("/cases/<int:case_id>/moderation/<string:decision>")
class CaseModeration(MethodView):
    @allow(*MODERATING)
    @problems({409: (("not_publishable", "not an answered suggestion or comment"),)})
    @blp.arguments(CaseModerationInput)
    @blp.response(200, CaseDetailSchema)
    def post(self, data, case_id, decision):
        """Publish an answered suggestion or comment with its answer (`publish`), or take it out
        of public view with a reason (`hide`)"""
        if decision not in ("publish", "hide"):
            raise NotFound()
        return services.moderate(require_user(), case_id, decision, data.get("reason"))
