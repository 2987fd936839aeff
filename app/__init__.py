"""The Baladiya application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from app import config as settings
from app.application import BaladiyaFlask
from app.input import CheckedJSONProvider, CheckedRequest, check_request


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, then `config` on top (tests use it)."""
    app = BaladiyaFlask(__name__, instance_path=str(settings.INSTANCE))
    app.request_class = CheckedRequest
    app.json = CheckedJSONProvider(app)
    app.config.update(settings.STATIC)
    app.config.update(settings.from_environment())
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = _normalise_url(app.config["DATABASE_URL"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        settings.INSTANCE.mkdir(parents=True, exist_ok=True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # A database host that does not answer fails a request in seconds (503), not after the
        # operating system's connect timeout of minutes.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
            "connect_args": {"connect_timeout": 3},
        }

    from app.logs import configure_logging

    configure_logging(app)
    _init_extensions(app)
    _register_blueprints(app)
    _install_hooks(app)

    from app.limits import init_limits

    init_limits(app)  # after the blueprints: it wraps their marked views

    from app.uow import init_unit_of_work

    init_unit_of_work(app)  # last: the outermost wrapper of every view owns its transaction

    from app.cli import register_commands

    register_commands(app)
    return app


def _normalise_url(url: str) -> str:
    """`postgresql://` URLs use psycopg 3, the driver we install."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _init_extensions(app: Flask) -> None:
    from app.extensions import api, babel, db, migrate
    from app.i18n import select_locale
    from app.pool import ping_idle_connections
    from app.sqlite import enable_sqlite_foreign_keys

    db.init_app(app)
    with app.app_context():
        enable_sqlite_foreign_keys(db.engine)
        ping_idle_connections(db.engine)
    migrate.init_app(app, db, directory=str(settings.ROOT / "migrations"))
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories="translations"
    )
    from app.openapi import ProblemResponses, ProblemSchema

    api.ERROR_SCHEMA = ProblemSchema  # flask-smorest's own `Error` is not what we answer
    app.config["API_SPEC_OPTIONS"] = _spec_options()
    api.init_app(app, spec_kwargs={"extra_plugins": [ProblemResponses(app)]})

    from app.converters import register_converters

    register_converters(app, api)

    from app import events, satisfaction  # noqa: F401 - their tables belong to the metadata
    from app.escalation import models as _escalations  # noqa: F401 - the ladder's table
    from jobs import init_jobs

    init_jobs(app)


def _register_blueprints(app: Flask) -> None:
    """Every blueprint, in one place."""
    from app.accounts.priority_routes import blp as priority
    from app.accounts.routes import blp as accounts
    from app.accounts.terms_routes import blp as terms
    from app.audit.routes import blp as audit
    from app.authorities.routes import blp as authorities
    from app.breaches.routes import blp as breaches
    from app.calendar.routes import blp as calendar
    from app.catalogue.routes import blp as catalogue
    from app.extensions import api
    from app.health import bp as ops
    from app.maintenance.routes import blp as announcements
    from app.notifications.routes import blp as notifications
    from app.positions.routes import blp as positions
    from cases.open311.routes import blp as open311
    from cases.open311.routes import keys as open311_keys
    from cases.routes import blp as cases
    from faq.announcement_routes import blp as news
    from faq.feed_routes import blp as feeds
    from faq.routes import blp as faq
    from licensing.breach_routes import blp as application_breaches
    from licensing.families.routes import BLUEPRINTS as families
    from licensing.routes import blp as applications
    from licensing.service_level_routes import blp as service_levels
    from payments.routes import blp as payments
    from receipts.routes import blp as receipts
    from refunds.routes import blp as refunds
    from surveys.routes import blp as surveys
    from surveys.satisfaction_routes import blp as satisfaction

    for blueprint in (
        accounts,
        authorities,
        announcements,
        calendar,
        catalogue,
        notifications,
        applications,
        payments,
        receipts,
        refunds,
        audit,
        *families,
        priority,
        faq,
        news,
        feeds,
        surveys,
        satisfaction,
        cases,
        open311,
        open311_keys,
        positions,
        service_levels,
        breaches,
        application_breaches,
        terms,
    ):
        api.register_blueprint(blueprint)
    app.register_blueprint(ops)
    from payments.gateways import init_app as init_gateways
    from receipts.services import credit_note_of_refund, document_link, receipt_of_payment

    init_gateways(app)
    # The payment and refund views show a payment's receipt and a refund's credit note, which
    # receipts owns (it depends on payments and refunds, not the other way round): the factory
    # hands them the look-ups.
    app.extensions["payment_receipt_link"] = lambda payment_id: document_link(
        receipt_of_payment(payment_id)
    )
    app.extensions["refund_credit_note_link"] = lambda refund_id: document_link(
        credit_note_of_refund(refund_id)
    )


def _install_hooks(app: Flask) -> None:
    """Request hooks, in the order they run: input checked at the edge, reads in autocommit,
    access, maintenance."""
    from app.access import init_access
    from app.calendar.services import init_calendar
    from app.errors import register_error_handlers
    from app.maintenance.hooks import init_maintenance
    from app.reads import init_reads
    from app.security import init_security

    app.before_request(check_request)
    init_reads(app)  # before the access hook: its look-up is the request's first statement
    init_access(
        app, public_endpoints={"api-docs.openapi_json", "api-docs.openapi_swagger_ui", "static"}
    )
    init_maintenance(app)
    init_security(app)
    init_calendar(app)
    register_error_handlers(app)


def _spec_options() -> dict[str, Any]:
    return {
        "info": {
            "title": "Baladiya API",
            "description": (
                "Municipal e-services: licences and permits with service-level targets in working "
                "days, fee payments with receipts, and refunds.\n\n"
                "Errors are RFC 9457 problem JSON (`application/problem+json`) with a stable "
                "`code`; `title` and `detail` follow `Accept-Language` (Arabic by default, or "
                "English). "
                "Lists are paginated with `page` and `page_size`; totals are in the `X-Pagination` "
                "header, a JSON object in a string. Every operation lists the error statuses it "
                "can answer. Times are shown in Asia/Muscat. Money is a string with three decimals "
                "(OMR).\n\n"
                "Each operation states who may call it (`x-allowed-roles`)."
            ),
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        },
    }
