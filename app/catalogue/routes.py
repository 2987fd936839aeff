"""Catalogue API: the services each authority offers, listed publicly, changed by admins."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.access import PUBLIC, allow, require_user
from app.accounts.models import Role
from app.catalogue import services
from app.catalogue.caching import (
    CACHE_HEADERS,
    NOT_MODIFIED,
    RevalidationSchema,
    init_caching,
    revalidated,
)
from app.catalogue.schemas import ServiceQuerySchema, ServiceSchema, ServiceUpdateSchema
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage

blp = Blueprint(
    "catalogue",
    __name__,
    url_prefix="/api/v1",
    description="Service catalogue: targets in working days, fees and required documents",
)
blp.record_once(lambda state: init_caching(state.app))


@blp.route("/services")
class Services(MethodView):
    @allow(PUBLIC)
    @revalidated
    @blp.alt_response(304, description=NOT_MODIFIED, headers=CACHE_HEADERS)
    @blp.arguments(RevalidationSchema, location="headers", as_kwargs=True)
    @blp.arguments(ServiceQuerySchema, location="query")
    @blp.response(200, ServiceSchema(many=True), headers=CACHE_HEADERS)
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query, if_none_match=None):
        """Services of the catalogue, by authority, family or action, or searched by name

        The answer carries an ETag (of the catalogue's version, the language and the query
        string); sent back in `If-None-Match`, it is answered 304 while nothing changed.
        """
        return services.service_query(query)


@blp.route("/services/<string:code>")
class ServiceItem(MethodView):
    @allow(PUBLIC)
    @revalidated
    @blp.alt_response(304, description=NOT_MODIFIED, headers=CACHE_HEADERS)
    @blp.arguments(RevalidationSchema, location="headers", as_kwargs=True)
    @blp.response(200, ServiceSchema, headers=CACHE_HEADERS)
    def get(self, code, if_none_match=None):
        """One service: its target, escalation, fee and required documents

        The answer carries an ETag; sent back in `If-None-Match`, it is answered 304 while
        nothing changed.
        """
        return services.get_service(code)

    @allow(Role.ADMIN)
    @blp.arguments(ServiceUpdateSchema)
    @blp.response(200, ServiceSchema)
    def patch(self, data, code):
        """Change a service of your authority: fee, target, escalation, documents, active flag

        A new fee, target or document list applies to applications created after it: an
        application keeps the target (`sla_days`), the fee and the `required_documents` copied
        onto it when its draft was created. `fee` is a string in rials with three
        decimals and a multiple of 10 baisa (the card gateway's rule); setting it marks the fee
        as no longer a placeholder. The target is `sla_days` (working days), `sla_minutes`
        (working minutes inside the authority's working hours) or `sla_unit: "none"` (no
        target: escalation only); a figure of the other unit than `sla_unit` is 422. A new
        target clears `sla_note_ar` and `sla_note_en`, which explain where a seeded target came
        from. `required_documents` replaces the whole
        list. Every change is written to the audit log with who made it and the values
        before and after. A service of another authority answers 404.
        """
        return services.update_service(require_user(), code, data)
