"""The OpenAPI document's error answers and headers, derived from the code that produces them.

Every operation documents the problems it can answer as `application/problem+json` with the
`Problem` schema (422 with `ValidationProblem`, which lists `errors`); there is no catch-all
`default`, so a status the document does not name is a conformance failure (schemathesis checks
it). The statuses come from the mechanisms that answer them, read off each view when its
blueprint is registered, so a new operation is documented without anyone writing it down:

| status | when | from |
|---|---|---|
| 400 | POST, PUT, PATCH: malformed JSON | the JSON body hook (`app._check_json_body`) |
| 401 | not public (no or a bad token); public: a bad token sent anyway | `@allow` (`app.access`) |
| 403 | only some roles may call | `@allow` with roles |
| 404 | the path names a record | path parameters of the route |
| 409 | writes: a duplicate or the record's state | the IntegrityError handler, services |
| 413, 415 | POST, PUT, PATCH: body over the limit, or not JSON | the JSON body hook |
| 422 | every operation: a body, query, path text or header we read refused | `@blp.arguments`, |
| | | and the edge check (`app/input.py`, from branch edge) |
| 429 | a request limit | `@rate_limited(group)` (`app.limits`) |
| 503 | every operation: the database unreachable; writes: a maintenance window, the gateway | |
| | | the error handler (branch faults), `app.maintenance.hooks`, the payment services |

What only a service knows (a 401 for a wrong password, a 403 of the lifecycle table, the
uploads' refusals) the view declares with `@problems({...})`, naming the codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from apispec import BasePlugin
from flask import Flask
from marshmallow import INCLUDE, Schema, fields, validate

from app.access import AUTHENTICATED, PUBLIC
from app.errors import PROBLEM_MEDIA_TYPE
from app.view_marks import view_handler

WRITES = frozenset({"post", "put", "patch", "delete"})
BODY_METHODS = frozenset({"post", "put", "patch"})

# (code, why) pairs per status, as `app.files.uploads.UPLOAD_PROBLEMS` writes them.
ProblemTable = Mapping[int, tuple[tuple[str, str], ...]]


class ProblemSchema(Schema):
    """RFC 9457 problem details; `title` and `detail` follow `Accept-Language`. Some problems
    add members of their own (`missing`, `state`, `endpoint`, ...)."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True, metadata={"description": "`urn:baladiya:problem:` + code"})
    title = fields.String(required=True)
    status = fields.Integer(required=True, validate=validate.Range(min=400, max=599))
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "stable machine code"})
    instance = fields.String(metadata={"description": "`urn:request:` and the request id"})


FIELD_ERROR_SCHEMA = {
    "type": "object",
    "required": ["field", "pointer", "detail"],
    "properties": {
        "field": {"type": "string", "description": "dotted name, e.g. `details.rent`"},
        "pointer": {"type": "string", "description": "JSON pointer, e.g. `/details/rent`"},
        "detail": {"type": "string"},
    },
}
VALIDATION_PROBLEM_SCHEMA = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "required": ["errors"],
            "properties": {
                "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}
            },
        },
    ]
}
PAGINATION_HEADER = {
    "description": (
        "The list's totals, a JSON object in a string (flask-smorest's): `total` (items) and "
        "`total_pages` always; `first_page` and `last_page` when the list is not empty; `page` "
        "when it is one of them, with `previous_page` / `next_page` when there is one. E.g. "
        '`{"total": 71, "total_pages": 4, "first_page": 1, "last_page": 4, "page": 1, '
        '"next_page": 2}`. A list that takes a `cursor` gives `next_cursor` too, and past '
        "its count's cap `total_at_least` instead of `total`, `total_pages` and `last_page`."
    ),
    "required": True,
    "schema": {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": {"$ref": "#/components/schemas/PaginationMetadata"},
    },
}
RETRY_AFTER = {"description": "Seconds to wait", "schema": {"type": "string"}}

# Status → (name of the component response, its description, headers it always carries).
RESPONSES: dict[int, tuple[str, str, dict[str, Any]]] = {
    400: ("BadRequest", "`malformed_json` (the body is not valid JSON) or `bad_request`", {}),
    401: (
        "Unauthorized",
        "`unauthorized` (no access token) or `invalid_token` (invalid, expired or revoked)",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True}},
    ),
    403: ("Forbidden", "`forbidden`: the caller's role may not do this", {}),
    404: ("NotFound", "`not_found`: nothing at this address, or not the caller's to see", {}),
    409: ("Conflict", "`conflict`: a duplicate, or the record's state does not allow it", {}),
    413: ("PayloadTooLarge", "`payload_too_large`: the body is over `MAX_CONTENT_LENGTH`", {}),
    415: ("UnsupportedMediaType", "`unsupported_media_type`: send the body as JSON", {}),
    422: (
        "ValidationFailed",
        "`validation_failed`: `errors` names every bad field, parameter or header",
        {},
    ),
    429: (
        "TooManyRequests",
        "`too_many_requests`: too many requests from this address or for this account",
        {"Retry-After": RETRY_AFTER},
    ),
    503: (
        "ServiceUnavailable",
        "`maintenance` (a write during a maintenance window of the authority) or "
        "`service_unavailable` (the database or the payment gateway out of reach)",
        {"Retry-After": RETRY_AFTER},
    ),
}
PUBLIC_401 = "`invalid_token`: an Authorization header was sent and its token is not valid"


def problems(table: ProblemTable) -> Callable:
    """Declare the problems a view's service can answer beyond what is derived (see above):
    `{status: ((code, why), ...)}`; they are added to, or replace the wording of, that status."""

    def decorate(view: Callable) -> Callable:
        view._problems = {**getattr(view, "_problems", {}), **table}
        return view

    return decorate


def file_response(description: str, content_types: tuple[str, ...]) -> dict[str, Any]:
    """A 200 that answers a file of one of `content_types` (as `@blp.doc(responses=...)`
    takes it): flask-smorest's `@blp.response` names one content type only."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        "200": {
            "description": description,
            "content": {content_type: binary for content_type in content_types},
            "headers": {"Content-Disposition": {"schema": {"type": "string"}, "required": True}},
        }
    }


def upload_form(**fields: dict[str, Any]) -> dict[str, Any]:
    """The request body of a view that takes one uploaded `file` with the form `fields` given
    (name: JSON schema), all required, as `@blp.doc(requestBody=...)` takes it."""
    properties = {**fields, "file": {"type": "string", "format": "binary"}}
    schema = {"type": "object", "required": [*fields, "file"], "properties": properties}
    return {"content": {"multipart/form-data": {"schema": schema}}}


def problem_content(status: int) -> dict[str, Any]:
    schema = "ValidationProblem" if status == 422 else "Problem"
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}


def derived_statuses(handler: Callable, method: str, path_arguments: bool):
    """The statuses the shared mechanisms answer for this operation (the table above)."""
    allowed = getattr(handler, "_allowed", frozenset())
    # 401 on public operations too: a bad token is refused before the view runs; 422 on all:
    # the edge check reads the headers (and path texts, queries, bodies) of every request
    # 503 on all: the database out of reach is 503 with Retry-After (and maintenance windows stop
    # writes not `maintenance_exempt`)
    statuses = {401, 422, 503}
    if PUBLIC not in allowed and AUTHENTICATED not in allowed:
        statuses.add(403)
    if path_arguments:
        statuses.add(404)
    if method in BODY_METHODS:
        statuses |= {400, 413, 415}
    if method in WRITES:
        statuses.add(409)
    if getattr(handler, "_rate_limit_group", None):
        statuses.add(429)
    return statuses


class ProblemResponses(BasePlugin):
    """An apispec plugin: completes each operation's responses as flask-smorest registers it.
    `ProblemSchema` is given to flask-smorest as its error schema, which registers it."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        from app.pagination import PaginationMetadataSchema

        spec.components.schema("PaginationMetadata", schema=PaginationMetadataSchema)
        spec.components.schema("FieldError", FIELD_ERROR_SCHEMA)
        spec.components.schema("ValidationProblem", VALIDATION_PROBLEM_SCHEMA)
        for status, (name, description, headers) in RESPONSES.items():
            response = {"description": description, "content": problem_content(status)}
            if headers:
                response["headers"] = headers
            spec.components.response(name, response)

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        rule = kwargs.get("rule")
        if rule is None or not operations:
            return
        view = self.app.view_functions[rule.endpoint]
        for method, operation in operations.items():
            handler = view_handler(view, method.upper())
            operation["responses"] = complete_responses(handler, method, rule, operation)


def complete_responses(handler: Callable, method: str, rule, operation) -> dict:
    """The operation's responses: its successes as flask-smorest wrote them, then every problem
    it can answer, by status; no `default`."""
    # flask-smorest keys responses by int status: one key per status, as text
    given = {str(k): v for k, v in operation.get("responses", {}).items() if k != "default"}
    path_arguments = bool(rule.arguments)
    # flask-smorest's own error references (`UNPROCESSABLE_ENTITY`) give way to ours; an error
    # response a view wrote out itself (`@blp.alt_response`, `@blp.doc`) is kept
    responses = {k: v for k, v in given.items() if not (k[0] in "45" and isinstance(v, str))}
    for status in sorted(derived_statuses(handler, method, path_arguments)):
        responses.setdefault(str(status), RESPONSES[status][0])
    public = PUBLIC in getattr(handler, "_allowed", ())
    if public:
        responses["401"] = _described(401, PUBLIC_401)
    for status, codes in sorted(getattr(handler, "_problems", {}).items()):
        wording = "Problem JSON, `code` one of: " + "; ".join(
            f"`{code}` ({why})" for code, why in codes
        )
        if status == 401 and public:
            wording += "; " + PUBLIC_401
        responses[str(status)] = _described(status, wording)
    _declare_pagination(responses)
    return dict(sorted(responses.items()))


def _described(status: int, description: str) -> dict[str, Any]:
    """The component response of `status` with its own wording."""
    response: dict[str, Any] = {"description": description, "content": problem_content(status)}
    if status in RESPONSES and RESPONSES[status][2]:
        response["headers"] = RESPONSES[status][2]
    return response


def _declare_pagination(responses: dict[str, Any]) -> None:
    """flask-smorest refers paginated answers to its `PAGINATION` header, which says the value is
    an object; it is a JSON text in a string: say so."""
    for response in responses.values():
        headers = response.get("headers", {}) if isinstance(response, dict) else {}
        if "X-Pagination" in headers:
            headers["X-Pagination"] = PAGINATION_HEADER
