"""The family blueprints: register a new record, and renew, amend or cancel an issued one."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.access import allow, require_user
from app.accounts.models import Role
from app.i18n import N_
from licensing import services
from licensing.business import check_commercial_registration
from licensing.families.schemas import FAMILIES
from licensing.schemas import ApplicationDetailSchema


def family_blueprint(family: str) -> Blueprint:
    segment, description, details_schema = FAMILIES[family]
    blp = Blueprint(
        f"family_{family}", __name__, url_prefix=f"/api/v1/{segment}", description=description
    )
    name = details_schema.__name__.removesuffix("Schema")

    register_input = type(
        f"{name}RegistrationInput",
        (details_schema,),
        {
            "authority": fields.String(required=True, validate=validate.Length(min=2, max=10)),
            "service": fields.String(
                metadata={"description": "A catalogue code; the family's own service by default"}
            ),
        },
    )

    class RenewalInput(Schema):
        details = fields.Nested(
            details_schema(partial=True),
            load_default=dict,
            metadata={"description": "Fields that change with the renewal"},
        )

    class AmendmentInput(Schema):
        changes = fields.Nested(details_schema(partial=True), required=True)

        @validates_schema
        def something_changes(self, data, **kwargs):
            if not data.get("changes"):
                raise ValidationError(N_("Name at least one field to change."), "changes")

    class CancellationInput(Schema):
        reason = fields.String(validate=validate.Length(min=1, max=2000))

    RenewalInput.__name__ = f"{name}RenewalInput"
    AmendmentInput.__name__ = f"{name}AmendmentInput"
    CancellationInput.__name__ = f"{name}CancellationInput"

    @blp.route("")
    class Register(MethodView):
        @allow(Role.APPLICANT)
        @blp.arguments(register_input)
        @blp.response(201, ApplicationDetailSchema)
        def post(self, data):
            """Apply for a new record (a draft application for the family's registration service)"""
            authority, code = data.pop("authority"), data.pop("service", None)
            check_commercial_registration(require_user(), data)
            service = services.find_service(
                family, "register", authority_code=authority, code=code, details=data
            )
            return services.create_application(require_user(), service, data)

    def _on_licence(action: str, number: str, details: dict):
        user = require_user()
        licence = services.find_licence(user, number, family)
        at = "changes" if action == "amend" else "details"
        changes = details.get("changes", {}) if action == "amend" else details
        check_commercial_registration(user, {**licence.details, **changes})
        service = services.find_service(
            family, action, licence=licence, details=changes, details_at=at
        )
        return services.create_application(user, service, details, licence)

    @blp.route("/<string:number>/renewal")
    class Renew(MethodView):
        @allow(Role.APPLICANT)
        @blp.arguments(RenewalInput)
        @blp.response(201, ApplicationDetailSchema)
        def post(self, data, number):
            """Renew an issued record: within 60 days before expiry, or after"""
            return _on_licence("renew", number, data["details"])

    @blp.route("/<string:number>/amendment")
    class Amend(MethodView):
        @allow(Role.APPLICANT)
        @blp.arguments(AmendmentInput)
        @blp.response(201, ApplicationDetailSchema)
        def post(self, data, number):
            """Amend an issued record; the register keeps it before and after"""
            return _on_licence("amend", number, {"changes": data["changes"]})

    @blp.route("/<string:number>/cancellation")
    class Cancel(MethodView):
        @allow(Role.APPLICANT)
        @blp.arguments(CancellationInput)
        @blp.response(201, ApplicationDetailSchema)
        def post(self, data, number):
            """Ask to cancel an issued record"""
            return _on_licence("cancel", number, {k: v for k, v in data.items() if v})

    return blp


BLUEPRINTS = [family_blueprint(family) for family in FAMILIES]
