"""Priority declarations API: an applicant declares a category with a document; a customer
service department head or admin verifies, refuses or revokes it (app.accounts.priority)."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.access import allow, require_user
from app.accounts import priority
from app.accounts.models import Role
from app.accounts.priority_schemas import (
    DecisionInput,
    DeclarationsQuery,
    PriorityDeclarationSchema,
)
from app.files import attachment
from app.files.uploads import FILE_TYPES, UPLOAD_PROBLEMS
from app.input import accepts_files, uploaded_file
from app.limits import rate_limited
from app.openapi import file_response, problems, upload_form
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage

blp = Blueprint(
    "priority", __name__, url_prefix="/api/v1", description="Priority applicants (staff only flag)"
)
VIEWERS = (Role.APPLICANT, Role.DEPARTMENT_HEAD, Role.ADMIN)
DECLARE_PROBLEMS = {
    409: (("priority_already_declared", "another declaration is pending or verified"),),
    **UPLOAD_PROBLEMS,
}


@blp.route("/priority-declarations")
class Declarations(MethodView):
    @allow(*VIEWERS)
    @blp.arguments(DeclarationsQuery, location="query")
    @blp.response(200, PriorityDeclarationSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Applicants: their declarations. Customer service heads and admins: everyone's, oldest
        first (`state=pending`: those waiting); other staff none"""
        return priority.declarations_query(require_user(), query.get("state"))

    @accepts_files
    @allow(Role.APPLICANT)
    @rate_limited("upload")
    @blp.doc(
        requestBody=upload_form(category={"type": "string", "enum": ["elderly", "disability"]})
    )
    @blp.response(201, PriorityDeclarationSchema)
    @problems(DECLARE_PROBLEMS)
    def post(self):
        """Declare a priority category (elderly, disability) with a supporting document (PDF,
        JPEG or PNG, checked by content); staff verify it"""
        filename, content = uploaded_file()
        return priority.declare_priority(
            require_user(), request.form.get("category", ""), filename, content
        )


@blp.route("/priority-declarations/<int:declaration_id>")
class Declaration(MethodView):
    @allow(*VIEWERS)
    @blp.response(200, PriorityDeclarationSchema)
    def get(self, declaration_id):
        """One declaration (its applicant, or a customer service head or admin)"""
        return priority.get_declaration(require_user(), declaration_id)


@blp.route("/priority-declarations/<int:declaration_id>/document")
class DeclarationDocument(MethodView):
    @allow(*VIEWERS)
    @blp.doc(responses=file_response("The supporting document as uploaded", FILE_TYPES))
    def get(self, declaration_id):
        """Download the supporting document (its applicant, or a customer service head or admin)"""
        declaration, content = priority.declaration_document(require_user(), declaration_id)
        extension = declaration.storage_key.rsplit(".", 1)[1]
        return attachment(
            content, declaration.content_type, f"priority-{declaration.id}.{extension}"
        )


@blp.route("/priority-declarations/<int:declaration_id>/actions/<string:action>")
class Decision(MethodView):
    @allow(Role.DEPARTMENT_HEAD, Role.ADMIN)
    @problems(
        {
            403: (("forbidden", "not of a customer service department"),),
            409: (("transition_not_allowed", "not from the declaration's current state"),),
        }
    )
    @blp.arguments(DecisionInput)
    @blp.response(200, PriorityDeclarationSchema)
    def post(self, data, declaration_id, action):
        """Decide a declaration: verify (pending), refuse (pending, with a reason) or revoke
        (verified, with a reason); the applicant is told, and their open applications gain or
        lose their place in the staff queues"""
        return priority.decide(require_user(), declaration_id, action, data)
