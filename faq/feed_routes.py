"""Atom feeds of new FAQ entries and of announcements: the portal's promised RSS."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.access import PUBLIC, allow
from app.catalogue.caching import CACHE_HEADERS, NOT_MODIFIED, RevalidationSchema, revalidated_by
from app.i18n import LANGUAGES, select_locale
from faq import feeds, services

blp = Blueprint("feeds", __name__, url_prefix="/api/v1/feeds", description="Atom feeds")


class FeedQuerySchema(Schema):
    authority = fields.String(
        validate=validate.Length(min=1, max=10),
        metadata={"description": "Authority code; entries for all authorities are always in"},
    )
    lang = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={"description": "ar or en; by default the best of Accept-Language (ar)"},
    )


ATOM = {"type": "string", "description": "An Atom 1.0 feed (RFC 4287), newest first"}


def _answer(document: bytes):
    response = current_app.response_class(document, content_type=feeds.CONTENT_TYPE)
    if "lang" not in request.args:
        response.vary.add("Accept-Language")
    return response


@blp.route("/faq.atom")
class FaqFeed(MethodView):
    @allow(PUBLIC)
    @revalidated_by(services.public_version)
    @blp.alt_response(304, description=NOT_MODIFIED, headers=CACHE_HEADERS)
    @blp.arguments(RevalidationSchema, location="headers", as_kwargs=True)
    @blp.arguments(FeedQuerySchema, location="query")
    @blp.response(200, ATOM, content_type="application/atom+xml", headers=CACHE_HEADERS)
    def get(self, query, if_none_match=None):
        """The newest published FAQ entries (at most 50), as an Atom feed

        The answer carries an ETag, as the FAQ list does: 304 to `If-None-Match` while nothing
        changed, a new feed at once when an entry is published, edited or hidden."""
        language = query.get("lang") or select_locale()
        return _answer(feeds.faq_feed(query.get("authority"), language))


@blp.route("/announcements.atom")
class AnnouncementsFeed(MethodView):
    @allow(PUBLIC)
    @blp.arguments(FeedQuerySchema, location="query")
    @blp.response(200, ATOM, content_type="application/atom+xml")
    def get(self, query):
        """The newest announcements and maintenance windows (at most 50), as an Atom feed"""
        language = query.get("lang") or select_locale()
        return _answer(feeds.announcements_feed(query.get("authority"), language))
