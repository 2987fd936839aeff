"""Terms of use and privacy notice API: the current texts (public), their versions, publishing
a new one (an authority's admin), and an applicant's acceptances (app.accounts.terms)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.access import AUTHENTICATED, PUBLIC, allow, require_user
from app.accounts import consent, terms
from app.accounts.models import Role
from app.accounts.terms_schemas import (
    AcceptanceSchema,
    AcceptInputSchema,
    ConsentInputSchema,
    ConsentSchema,
    ConsentsSchema,
    MyTermsSchema,
    TermsInputSchema,
    TermsQuery,
    TermsVersionSchema,
)
from app.maintenance.hooks import maintenance_exempt
from app.openapi import problems
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage

blp = Blueprint(
    "terms", __name__, url_prefix="/api/v1", description="Terms of use and privacy notice"
)


@blp.route("/terms")
class Terms(MethodView):
    @allow(PUBLIC)
    @problems({404: (("unknown_authority", "no authority has this code"),)})
    @blp.arguments(TermsQuery, location="query")
    @blp.response(200, TermsVersionSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """The current terms of use and privacy notice of every authority, or of `authority`,
        in Arabic and English"""
        return terms.current_versions(query.get("authority"))

    @allow(Role.ADMIN)
    @blp.arguments(TermsInputSchema)
    @blp.response(201, TermsVersionSchema)
    def post(self, data):
        """Publish a new version of the admin's authority's terms and privacy notice: current at
        once, so every applicant accepts it before their next write"""
        return terms.publish(require_user(), data)


@blp.route("/terms/<string:authority>/versions")
class TermsVersions(MethodView):
    @allow(PUBLIC)
    @problems({404: (("unknown_authority", "no authority has this code"),)})
    @blp.response(200, TermsVersionSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, authority):
        """Every published version of an authority's terms, newest first"""
        return terms.versions_of(authority)


@blp.route("/me/terms")
class MyTerms(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, MyTermsSchema)
    def get(self):
        """The versions the caller accepted (when and how) and those waiting for acceptance"""
        user = require_user()
        return {"accepted": terms.acceptances_of(user), "pending": terms.pending_versions(user)}

    @allow(Role.APPLICANT)
    @terms.terms_exempt
    @maintenance_exempt
    @problems({409: (("not_current", "a version named is not a current one"),)})
    @blp.arguments(AcceptInputSchema, required=False)
    @blp.response(201, AcceptanceSchema(many=True))
    def post(self, data):
        """Accept the current terms and privacy notice: the versions named, or every pending one;
        recorded with the time, address and client"""
        return terms.accept(require_user(), (data or {}).get("terms_version_ids"))


@blp.route("/me/consents")
class MyConsents(MethodView):
    @allow(AUTHENTICATED)
    @blp.response(200, ConsentsSchema)
    def get(self):
        """The optional processing the caller may consent to, whether they do now, and the history
        of their consents"""
        return {"purposes": consent.consents_of(require_user())}


@blp.route("/me/consents/<string:purpose>")
class MyConsent(MethodView):
    @allow(AUTHENTICATED)
    @terms.terms_exempt
    @maintenance_exempt
    @problems({404: (("unknown_purpose", "no such purpose of consent"),)})
    @blp.arguments(ConsentInputSchema)
    @blp.response(200, ConsentSchema)
    def put(self, data, purpose):
        """Grant (`granted: true`) or withdraw (`granted: false`) consent to a purpose, recorded
        with the version of its text, the time and address; a withdrawal stops the processing
        from then on"""
        return consent.set_consent(require_user(), purpose, data["granted"])
