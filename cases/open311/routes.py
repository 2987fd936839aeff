"""Open311 GeoReport v2 paths (`/open311/v2/...`), `.json` or `.xml`; and the admin's keys.

POST takes its fields form-encoded in the body, as GeoReport v2 posts them (`app.input`'s
`accepts_form`), never in the query string: the `api_key` stays out of URLs and their logs.
Refusals are the house's problem JSON (RFC 9457), whatever the format asked, with GeoReport's
statuses: 400 or 422 without `jurisdiction_id` or with bad fields, 403 a missing or unknown
`api_key`, 404 an unknown jurisdiction, service or request."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from app.access import PUBLIC, allow, require_user
from app.accounts.models import Role
from app.input import accepts_form
from app.limits import rate_limited
from app.openapi import problems
from app.pagination import Blueprint
from app.schemas import MuscatLocalDateTime
from cases.open311 import services, views

blp = Blueprint(
    "open311",
    __name__,
    url_prefix="/open311/v2",
    description="Open311 GeoReport v2: civic apps file and follow requests",
)
keys = Blueprint("open311_keys", __name__, url_prefix="/api/v1", description="Open311 API keys")
FORMAT = "<any(json, xml):response_format>"
LIST = {"type": "array", "items": {"type": "object"}}
XML = {"type": "string", "description": "the same fields as XML elements"}


def _ok(description: str, schema: dict | None = None) -> dict:
    content = {"application/json": {"schema": schema or LIST}, "text/xml": {"schema": XML}}
    return {"responses": {200: {"description": description, "content": content}}}


class JurisdictionQuery(Schema):
    jurisdiction_id = fields.String(required=True, validate=validate.Length(min=2, max=10))


class RequestsQuery(JurisdictionQuery):
    service_request_id = fields.String(validate=validate.Length(max=2000))
    service_code = fields.String(validate=validate.Length(max=60))
    start_date = MuscatLocalDateTime()
    end_date = MuscatLocalDateTime()
    status = fields.String(validate=validate.Regexp(r"^(open|closed)(,(open|closed))*$"))


class RequestForm(Schema):
    """The GeoReport v2 POST fields; `attribute[<code>]` are read apart."""

    class Meta:
        unknown = "exclude"  # attribute[...] and fields GeoReport names that we do not keep

    api_key = fields.String(required=True, validate=validate.Length(min=1, max=200))
    jurisdiction_id = fields.String(required=True, validate=validate.Length(min=2, max=10))
    service_code = fields.String(required=True, validate=validate.Length(min=1, max=60))
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    long = fields.Float(validate=validate.Range(min=-180, max=180))
    address_string = fields.String(validate=validate.Length(min=1, max=300))
    address_id = fields.String(validate=validate.Length(min=1, max=100))
    email = fields.Email(validate=validate.Length(max=254))
    device_id = fields.String(validate=validate.Length(max=200))
    account_id = fields.String(validate=validate.Length(max=200))
    first_name = fields.String(validate=validate.Length(min=1, max=100))
    last_name = fields.String(validate=validate.Length(min=1, max=100))
    phone = fields.String(validate=validate.Regexp(r"^\+?\d{7,15}$"))
    description = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    media_url = fields.Url(validate=validate.Length(max=500))


@blp.route(f"/services.{FORMAT}")
class Services(MethodView):
    @allow(PUBLIC)
    @blp.arguments(JurisdictionQuery, location="query")
    @blp.doc(
        **_ok(
            "The service list: service_code, service_name, description, metadata, type, "
            "keywords, group"
        )
    )
    def get(self, query, response_format):
        """GeoReport service list: the kinds of request the jurisdiction takes"""
        authority = services.jurisdiction(query["jurisdiction_id"])
        listed = [services.service_view(s) for s in services.services_of(authority)]
        return views.answer(listed, response_format, "services")


@blp.route(f"/services/<string:service_code>.{FORMAT}")
class ServiceDefinition(MethodView):
    @allow(PUBLIC)
    @blp.arguments(JurisdictionQuery, location="query")
    @blp.doc(**_ok("The service definition: service_code and its attributes", {"type": "object"}))
    def get(self, query, service_code, response_format):
        """GeoReport service definition: the attributes a request of the service takes"""
        authority = services.jurisdiction(query["jurisdiction_id"])
        service, _ = services.service_of(authority, service_code)
        return views.answer(
            services.definition_view(service), response_format, "service_definition"
        )


@blp.route(f"/requests.{FORMAT}")
class Requests(MethodView):
    @allow(PUBLIC)
    @blp.arguments(RequestsQuery, location="query")
    @blp.doc(**_ok("The requests: every field GeoReport v2 names (confidential ones redacted)"))
    def get(self, query, response_format):
        """GeoReport requests: the jurisdiction's public requests, or those named"""
        authority = services.jurisdiction(query["jurisdiction_id"])
        found = services.requests_query(authority, query)
        return views.answer(
            [views.request_view(c) for c in found], response_format, "service_requests"
        )

    @allow(PUBLIC)
    @accepts_form
    @rate_limited("open311")
    @problems({403: (("invalid_api_key", "the api_key is missing, unknown or revoked"),)})
    @blp.arguments(RequestForm, location="form")
    @blp.doc(**_ok("The new request: service_request_id, service_notice, account_id"))
    def post(self, form, response_format):
        """GeoReport create request: with the app's `api_key`, a location and a contact

        The fields form-encoded in the body (`application/x-www-form-urlencoded`), as GeoReport
        v2 lists them (its `api_key` too), and `attribute[<code>]` for the service definition's
        attributes. Filing is limited per address and per key (`RATE_LIMIT_OPEN311_*`)."""
        form["attributes"] = {
            key[len("attribute[") : -1]: value
            for key, value in request.form.items()
            if key.startswith("attribute[") and key.endswith("]")
        }
        case = services.file_request(form)
        return views.answer([views.filed_view(case)], response_format, "service_requests")


@blp.route(f"/requests/<string:service_request_id>.{FORMAT}")
class RequestItem(MethodView):
    @allow(PUBLIC)
    @blp.arguments(JurisdictionQuery, location="query")
    @blp.doc(**_ok("The request, in a list of one, as GeoReport v2 answers it"))
    def get(self, query, service_request_id, response_format):
        """GeoReport get request: one request by its id"""
        authority = services.jurisdiction(query["jurisdiction_id"])
        case = services.request_of(authority, service_request_id)
        return views.answer([views.request_view(case)], response_format, "service_requests")


class KeyInput(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))


class KeySchema(Schema):
    id = fields.Integer()
    name = fields.String()
    api_key = fields.String(metadata={"description": "shown once"})


@keys.route("/open311/keys")
class Keys(MethodView):
    @allow(Role.ADMIN)
    @keys.arguments(KeyInput)
    @keys.response(201, KeySchema)
    def post(self, data):
        """Make an Open311 API key for a civic app (shown once)"""
        key, secret = services.make_key(require_user(), data["name"])
        return {"id": key.id, "name": key.name, "api_key": secret}


@keys.route("/open311/keys/<int:key_id>")
class KeyItem(MethodView):
    @allow(Role.ADMIN)
    @keys.response(204)
    def delete(self, key_id):
        """Revoke an Open311 API key: its app files no more requests"""
        services.revoke_key(key_id)
