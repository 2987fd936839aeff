"""One exception hierarchy, one handler, one format: RFC 9457 problem JSON.

Every problem has a stable machine `code`; `title` and `detail` are in the caller's language
(Arabic unless `Accept-Language` asks for English), taken from the message catalogue.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, json
from flask_babel import gettext, lazy_gettext
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from app.i18n import current_language, translate_message

PROBLEM_TYPE = "urn:baladiya:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """Base of every error the API answers on purpose.

    `title` and `detail` are message ids of the catalogue; `params` fill `%(name)s` in `detail`.
    `extra` adds members to the problem document; `headers` adds response headers.
    """

    status = 400
    code = "bad_request"
    title = lazy_gettext("Bad request")
    detail = lazy_gettext("The request could not be understood.")

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        params: dict[str, Any] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or str(self.detail))
        if detail is not None:
            self.detail = detail
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.params = params or {}
        self.extra = extra or {}
        self.headers = headers or {}

    def to_dict(self) -> dict[str, Any]:
        detail = str(self.detail)
        detail = gettext(detail, **self.params) if self.params else gettext(detail)
        return {
            "type": PROBLEM_TYPE + self.code,
            "title": gettext(str(self.title)),
            "status": self.status,
            "detail": detail,
            "code": self.code,
            **self.extra,
        }


class BadRequest(Problem):
    pass


class MalformedJSON(Problem):
    code = "malformed_json"
    title = lazy_gettext("Malformed JSON")
    detail = lazy_gettext("The request body is not valid JSON.")


class UnsupportedMediaType(Problem):
    status = 415
    code = "unsupported_media_type"
    title = lazy_gettext("Unsupported media type")
    detail = lazy_gettext("Send the request body as application/json.")


class Unauthorized(Problem):
    status = 401
    code = "unauthorized"
    title = lazy_gettext("Authentication required")
    detail = lazy_gettext("Log in and send the access token as a Bearer token.")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="baladiya"'})
        super().__init__(*args, **kwargs)


class Forbidden(Problem):
    status = 403
    code = "forbidden"
    title = lazy_gettext("Forbidden")
    detail = lazy_gettext("Your role may not do this.")


class NotFound(Problem):
    status = 404
    code = "not_found"
    title = lazy_gettext("Not found")
    detail = lazy_gettext("There is nothing at this address.")


class Conflict(Problem):
    status = 409
    code = "conflict"
    title = lazy_gettext("Conflict")
    detail = lazy_gettext("The request conflicts with the current state of the record.")


class ValidationFailed(Problem):
    status = 422
    code = "validation_failed"
    title = lazy_gettext("Invalid input")
    detail = lazy_gettext("Some fields are missing or wrong; see errors.")

    def __init__(self, errors: dict[str, list[str]], **kwargs) -> None:
        super().__init__(**kwargs)
        self.errors = errors

    def to_dict(self) -> dict[str, Any]:
        problem = super().to_dict()
        problem["errors"] = [
            {
                "field": field,
                "pointer": "/" + field.replace(".", "/"),
                "detail": translate_message(m),
            }
            for field, messages in sorted(self.errors.items())
            for m in messages
        ]
        return problem


class TooManyRequests(Problem):
    status = 429
    code = "too_many_requests"
    title = lazy_gettext("Too many requests")
    detail = lazy_gettext("Too many attempts; try again later.")


class ServiceUnavailable(Problem):
    status = 503
    code = "service_unavailable"
    title = lazy_gettext("Service unavailable")
    detail = lazy_gettext("The service is unavailable for now; try again later.")


# Seconds a client is asked to wait when the database cannot be reached: a restart or a
# fail-over of PostgreSQL takes seconds, and the pool reconnects by itself (app/pool.py).
DATABASE_RETRY_AFTER = 5


def database_unavailable(error: BaseException) -> bool:
    """True when `error` says the database cannot be reached or cannot take the work now (server
    down or restarting, connection lost, pool exhausted, SQLite's file locked or missing), as
    opposed to a query the database refused (a constraint, a bad value: our bug or the caller's)."""
    if isinstance(error, sa_exc.TimeoutError):  # no connection free in the pool in time
        return True
    if isinstance(error, sa_exc.DBAPIError):
        return error.connection_invalidated or isinstance(
            error, sa_exc.OperationalError | sa_exc.InterfaceError
        )
    return False


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested error dict as {"a.b": [messages]}; `_schema` errors under the prefix."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else str(key))
            for field, found in flatten_messages(value, name).items():
                flat.setdefault(field, []).extend(found)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten_messages(value, f"{prefix}.{index}"))
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat


# HTTP errors raised by Flask/Werkzeug/webargs, mapped to problems of ours.
_HTTP_PROBLEMS: dict[int, tuple[str, Any, Any]] = {
    400: ("bad_request", Problem.title, Problem.detail),
    404: ("not_found", NotFound.title, NotFound.detail),
    405: (
        "method_not_allowed",
        lazy_gettext("Method not allowed"),
        lazy_gettext("This address does not accept this method."),
    ),
    413: (
        "payload_too_large",
        lazy_gettext("Request too large"),
        lazy_gettext("The request body is larger than the limit."),
    ),
    415: ("unsupported_media_type", UnsupportedMediaType.title, UnsupportedMediaType.detail),
}


def problem_from_http(error: HTTPException) -> Problem:
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    if error.code == 422 and messages:
        # webargs reports by location first: {"json": {"field": [...]}}; drop the location.
        flat: dict[str, list[str]] = {}
        for location_errors in messages.values():
            for field, found in flatten_messages(location_errors).items():
                flat.setdefault(field, []).extend(found)
        return ValidationFailed(flat)
    if error.code == 400 and messages and "Invalid JSON body." in str(messages):
        return MalformedJSON()
    code, title, detail = _HTTP_PROBLEMS.get(
        error.code or 500,
        ("http_error", lazy_gettext("Error"), lazy_gettext("The request failed.")),
    )
    problem = Problem(code=code, status=error.code)
    problem.title, problem.detail = title, detail
    if error.code == 405 and getattr(error, "valid_methods", None):
        problem.headers["Allow"] = ", ".join(error.valid_methods)
    return problem


def problem_response(problem: Problem) -> Response:
    body = problem.to_dict()
    if getattr(g, "request_id", None):
        body["instance"] = "urn:request:" + g.request_id
    response = current_app.response_class(
        json.dumps(body, ensure_ascii=False), status=problem.status, mimetype=PROBLEM_MEDIA_TYPE
    )
    response.headers["Content-Language"] = current_language()
    response.headers.update(problem.headers)
    return response


def register_error_handlers(app: Flask) -> None:
    """The one place where exceptions become responses."""

    @app.errorhandler(Problem)
    def handle_problem(problem: Problem):
        return problem_response(problem)

    @app.errorhandler(HTTPException)
    def handle_http(error: HTTPException):
        return problem_response(problem_from_http(error))

    @app.errorhandler(IntegrityError)
    def handle_integrity(error: IntegrityError):
        from app import uow

        uow.rollback()
        current_app.logger.info(
            "integrity error answered as 409", extra={"error": type(error).__name__}
        )
        return problem_response(Conflict())

    @app.errorhandler(sa_exc.DBAPIError)
    @app.errorhandler(sa_exc.TimeoutError)
    def handle_database_error(error: Exception):
        if not database_unavailable(error):
            return handle_unexpected(error)
        _rollback_quietly()
        current_app.logger.error(
            "database unavailable; answered 503", extra={"error": type(error).__name__}
        )
        return problem_response(
            ServiceUnavailable(headers={"Retry-After": str(DATABASE_RETRY_AFTER)})
        )

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception):
        _rollback_quietly()
        current_app.logger.exception("unhandled error")
        problem = Problem(code="internal_error", status=500)
        problem.title = lazy_gettext("Internal error")
        problem.detail = lazy_gettext("Something went wrong on our side; it has been logged.")
        return problem_response(problem)


def _rollback_quietly() -> None:
    """Give the session's connection back; with the database gone the rollback itself may fail,
    and that must not turn the answer into a second error."""
    from app import uow
    from app.extensions import db

    try:
        uow.rollback()
    except sa_exc.SQLAlchemyError:
        db.session.close()
