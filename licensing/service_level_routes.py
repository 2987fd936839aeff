"""Public service levels API: how each service of an authority keeps its time, for anyone."""

from __future__ import annotations

from flask.views import MethodView

from app.access import PUBLIC, allow
from app.catalogue.caching import (
    CACHE_HEADERS,
    NOT_MODIFIED,
    RevalidationSchema,
    revalidated_by,
)
from app.limits import rate_limited
from app.pagination import Blueprint
from licensing import public_service_levels
from licensing.service_level_schemas import PublicLevelsQuery, PublicLevelsSchema

blp = Blueprint(
    "service_levels",
    __name__,
    url_prefix="/api/v1/public",
    description="Public service levels: how each authority keeps its published times",
)


@blp.route("/service-levels")
class PublicServiceLevels(MethodView):
    @allow(PUBLIC)
    @rate_limited("public_reports")
    @revalidated_by(public_service_levels.public_version)
    @blp.alt_response(304, description=NOT_MODIFIED, headers=CACHE_HEADERS)
    @blp.arguments(RevalidationSchema, location="headers", as_kwargs=True)
    @blp.arguments(PublicLevelsQuery, location="query")
    @blp.response(200, PublicLevelsSchema, headers=CACHE_HEADERS)
    def get(self, query, if_none_match=None):
        """An authority's service levels: per service, the on-time percentage and the median
        working days to completion, over the last 90 days and per month

        No login. The figures count the applications received in each window (Asia/Muscat
        dates) and completed by the end of yesterday, so they change once a day; the answer
        carries an ETag, answered 304 in `If-None-Match` while it is current. A figure that
        would be computed over fewer than 5 completions is null with `suppressed: true`, so
        that no applicant or employee can be singled out; no figure counts or names a person.
        `on_time_percent` is null for a service with no target (it is never on time or late).
        An unknown `authority` is refused (422)."""
        return public_service_levels.public_service_levels(query["authority"])
