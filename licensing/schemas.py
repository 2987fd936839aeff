"""What the applications API shows and takes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.money import Money
from app.schemas import (
    AuthorityRefSchema,
    Id,
    MuscatDateTime,
    ServiceRefSchema,
    StoredFileSchema,
    TimelineEventSchema,
    id_text_in_range,
)
from licensing.families.schemas import shown_details
from licensing.lifecycle import TRANSITIONS, State
from licensing.register import keeps_register, verification_url


class PersonRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class SlaSchema(Schema):
    target_days = fields.Integer()
    started_at = MuscatDateTime(allow_none=True)
    due_date = fields.Date(allow_none=True)
    working_days_used = fields.Integer()
    working_days_left = fields.Integer()
    paused = fields.Boolean()
    state = fields.String()


class ApplicationSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    service = fields.Nested(ServiceRefSchema)
    family = fields.String()
    action = fields.String()
    state = fields.String()
    details = fields.Method(
        "_details",
        metadata={
            "type": "object",
            "description": "As given; in a family's application amounts are strings with three "
            'decimals ("350.000")',
        },
    )
    fee = Money(attribute="fee_baisa")
    required_documents = fields.List(
        fields.Dict(),
        metadata={
            "description": "The documents the service asked for when the application was made: "
            "code, name_ar, name_en, mandatory"
        },
    )
    licence_number = fields.Function(lambda a: a.licence.number if a.licence else None)
    inspection_date = fields.Date(allow_none=True)
    rejection_reason_ar = fields.String(allow_none=True)
    rejection_reason_en = fields.String(allow_none=True)
    applicant = fields.Nested(PersonRefSchema)
    assignee = fields.Nested(PersonRefSchema, allow_none=True)
    submitted_at = MuscatDateTime(allow_none=True)
    created_at = MuscatDateTime()
    sla = fields.Method("_sla")

    def _sla(self, application):
        return SlaSchema().dump(application.sla_status())

    def _details(self, application):
        checked = keeps_register(application.family, application.action)
        return shown_details(application.family, application.details, checked)


class ApplicationDetailSchema(ApplicationSchema):
    timeline = fields.List(fields.Nested(TimelineEventSchema), attribute="events")


class QueueQuery(Schema):
    state = fields.String(validate=validate.OneOf([s.value for s in State]))
    service = fields.String()
    family = fields.String()
    sla_state = fields.String(validate=validate.OneOf(("at_risk", "breached")))
    assignee = fields.String(
        metadata={"description": "an inspector's id, `me`, or `none`"},
        validate=[validate.Regexp(r"^(me|none|[0-9]{1,10})$"), id_text_in_range],
    )


class GenericApplicationInput(Schema):
    service = fields.String(required=True, validate=validate.Length(min=1, max=40))
    details = fields.Dict(
        load_default=dict, metadata={"description": "Free-form details of the request"}
    )


class ActionInput(Schema):
    note = fields.String(validate=validate.Length(min=1, max=4000))
    reason_ar = fields.String(validate=validate.Length(min=1, max=2000))
    reason_en = fields.String(validate=validate.Length(min=1, max=2000))
    inspection_date = fields.Date()


ACTIONS = sorted(a for a, t in TRANSITIONS.items() if "system" not in t.roles)


class AssignInput(Schema):
    assignee_id = Id(required=True, allow_none=True)


class MessageInput(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class MessageSchema(Schema):
    id = fields.Integer()
    author_role = fields.String()
    body = fields.String()
    created_at = MuscatDateTime()


class DocumentSchema(StoredFileSchema):
    document_code = fields.String()


class LicenceSchema(Schema):
    number = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    service = fields.Nested(ServiceRefSchema)
    family = fields.String()
    holder = fields.Nested(PersonRefSchema)
    details = fields.Function(
        lambda licence: shown_details(licence.family, licence.details),
        metadata={"type": "object", "description": "Amounts as strings with three decimals"},
    )
    valid_from = fields.Date()
    valid_until = fields.Date()
    state = fields.String()
    document_sha256 = fields.String(allow_none=True)
    verification_url = fields.Function(
        lambda licence: verification_url(licence),
        metadata={"description": "The public check printed under the licence's QR code"},
    )


class VerifyQuery(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=80))


class VerificationSchema(Schema):
    valid = fields.Boolean()
    number = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    service = fields.Nested(ServiceRefSchema)
    valid_from = fields.Date()
    valid_until = fields.Date()
    state = fields.String()


class SlaReportQuery(Schema):
    first = fields.Date(
        data_key="from",
        metadata={"description": "First Muscat date on which a clock started (inclusive)"},
    )
    last = fields.Date(
        data_key="to",
        metadata={"description": "Last Muscat date on which a clock started (inclusive)"},
    )
    service = fields.String(
        validate=validate.Length(min=1, max=60), metadata={"description": "A service code"}
    )


class SlaReportRowSchema(Schema):
    service = fields.Nested(ServiceRefSchema)
    started = fields.Integer(metadata={"description": "Applications whose clock started"})
    decided = fields.Integer(metadata={"description": "Of those, decided (clock stopped)"})
    met = fields.Integer(metadata={"description": "Decided on or before the due date"})
    breached = fields.Integer(
        metadata={"description": "Decided after the due date, or still open past it"}
    )
    on_track = fields.Integer(metadata={"description": "Open, more than one working day left"})
    at_risk = fields.Integer(metadata={"description": "Open, one working day or less left"})
    paused = fields.Integer(
        metadata={
            "description": "Open and waiting on the applicant (also counted as on_track, "
            "at_risk or breached)"
        }
    )
    average_working_days_used = fields.Float(
        allow_none=True, metadata={"description": "Average working days used by the decided ones"}
    )


class SlaReportSchema(Schema):
    as_of = fields.Date(metadata={"description": "The Muscat date the open clocks are counted on"})
    services = fields.List(
        fields.Nested(SlaReportRowSchema),
        metadata={
            "description": "One line per service with at least one started clock, by code: the "
            "whole list, not paginated (it is bounded by the number of services)"
        },
    )
