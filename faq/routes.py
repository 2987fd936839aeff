"""FAQ API: published questions and answers, public and searchable; staff propose and edit them,
moderators publish and hide them."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.access import PUBLIC, allow, current_user, require_user
from app.catalogue.caching import (
    CACHE_HEADERS,
    NOT_MODIFIED,
    RevalidationSchema,
    revalidated_by,
)
from app.moderation import MODERATORS
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from faq import services
from faq.schemas import (
    FaqEntrySchema,
    FaqInputSchema,
    FaqQuerySchema,
    FaqStaffEntrySchema,
    FaqStaffQuerySchema,
    FaqUpdateSchema,
    HideSchema,
)

blp = Blueprint("faq", __name__, url_prefix="/api/v1/faq", description="Frequently asked questions")


@blp.route("")
class FaqList(MethodView):
    @allow(PUBLIC)
    @revalidated_by(services.public_version)
    @blp.alt_response(304, description=NOT_MODIFIED, headers=CACHE_HEADERS)
    @blp.arguments(RevalidationSchema, location="headers", as_kwargs=True)
    @blp.arguments(FaqQuerySchema, location="query")
    @blp.response(200, FaqEntrySchema(many=True), headers=CACHE_HEADERS)
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query, if_none_match=None):
        """Published questions and answers, by authority or service, or searched

        `q` searches the question and the answer in both languages, as the catalogue's search
        does. The answer carries an ETag; sent back in `If-None-Match`, it is answered 304 while
        nothing changed."""
        return services.public_entries(query)

    @allow(*services.AUTHORS)
    @blp.arguments(FaqInputSchema)
    @blp.response(201, FaqStaffEntrySchema)
    def post(self, data):
        """Propose an entry for your authority: a draft until a moderator publishes it

        `source` keeps the reference of the suggestion or inquiry it came from. Audited."""
        return services.propose_entry(require_user(), data)


@blp.route("/moderation")
class FaqModeration(MethodView):
    @allow(*services.READERS)
    @blp.arguments(FaqStaffQuerySchema, location="query")
    @blp.response(200, FaqStaffEntrySchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Your authority's entries in every state (drafts, published, hidden), to moderate"""
        return services.staff_entries(require_user(), query)


@blp.route("/<int:entry_id>")
class FaqItem(MethodView):
    @allow(PUBLIC)
    @blp.response(200, FaqEntrySchema)
    def get(self, entry_id):
        """One published entry; staff of its authority see drafts and hidden ones too"""
        return services.find_entry(current_user(), entry_id)

    @allow(*services.AUTHORS)
    @blp.arguments(FaqUpdateSchema)
    @blp.response(200, FaqStaffEntrySchema)
    def patch(self, data, entry_id):
        """Change an entry of your authority (inspectors: drafts only)

        Audited with the values before and after. A published entry stays published."""
        return services.edit_entry(require_user(), entry_id, data)


@blp.route("/<int:entry_id>/publish")
class FaqPublish(MethodView):
    @allow(*MODERATORS)
    @blp.response(200, FaqStaffEntrySchema)
    def post(self, entry_id):
        """Publish an entry of your authority (a draft, or a hidden one back)

        Audited as `moderation.publish` (or `moderation.restore`)."""
        return services.publish_entry(require_user(), entry_id)


@blp.route("/<int:entry_id>/hide")
class FaqHide(MethodView):
    @allow(*MODERATORS)
    @blp.arguments(HideSchema)
    @blp.response(200, FaqStaffEntrySchema)
    def post(self, data, entry_id):
        """Hide an entry that breaks the policy, with the reason

        It leaves the public list, item and feed at once; staff still see it, and the audit log
        keeps its text and the reason (`moderation.hide`)."""
        return services.hide_entry(require_user(), entry_id, data["reason"])
