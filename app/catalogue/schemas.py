from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.accounts.models import STAFF_ROLES, Role
from app.catalogue.models import ESCALATION_CHANNELS, ServiceAction, ServiceFamily
from app.i18n import N_
from app.money import Money
from app.positions.schemas import PositionRefSchema
from app.schemas import AuthorityRefSchema, DepartmentRefSchema, Id, TidyNamesSchema

FAMILIES = [f.value for f in ServiceFamily]
ACTIONS = [a.value for a in ServiceAction]
STAFF_ROLE_NAMES = sorted(r.value for r in STAFF_ROLES - {Role.AUDITOR})  # auditors only read
MAX_DAYS = 365
MAX_MINUTES = 20 * 390  # 20 working days of 8:00–14:30: a longer target is set in days
UNITS = ["working_days", "working_minutes", "none"]
MAX_DOCUMENTS = 30
DOCUMENT_CODE = r"^[a-z][a-z0-9_]{0,59}$"


class ServiceQuerySchema(Schema):
    authority = fields.String(
        validate=validate.Length(min=1, max=10),
        metadata={"description": "Authority code, e.g. NBG"},
    )
    family = fields.String(validate=validate.OneOf(FAMILIES))
    action = fields.String(validate=validate.OneOf(ACTIONS))
    q = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "Words of the Arabic or English name; Arabic diacritics, tatweel and "
            "alef/hamza/taa marbuta variants are ignored, English case too"
        },
    )
    active = fields.Boolean(
        load_default=True, metadata={"description": "false lists withdrawn services"}
    )


class RequiredDocumentSchema(Schema):
    code = fields.String()
    name_ar = fields.String()
    name_en = fields.String()
    mandatory = fields.Boolean()


class ServiceSchema(Schema):
    code = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    department = fields.Nested(
        DepartmentRefSchema, metadata={"description": "The department that handles it"}
    )
    name_ar = fields.String()
    name_en = fields.String()
    description_ar = fields.String()
    description_en = fields.String()
    family = fields.String(metadata={"enum": FAMILIES})
    action = fields.String(metadata={"enum": ACTIONS})
    sla_days = fields.Method(
        "_sla_days",
        metadata={
            "type": "integer",
            "nullable": True,
            "description": "Target in working days; 0 means the service is instant; null when "
            "the target is in minutes or there is none (`sla_unit`)",
        },
    )
    sla_unit = fields.String(
        metadata={
            "enum": UNITS,
            "description": "working_days: `sla_days`; working_minutes: `sla_minutes`, counted "
            "inside the authority's working hours on working days; none: no published target "
            "(no due date, never late; escalated after `escalation_days` without action)",
        }
    )
    sla_minutes = fields.Integer(
        allow_none=True,
        metadata={"description": "Target in working minutes, when `sla_unit` is working_minutes"},
    )
    has_target = fields.Function(
        lambda service: service.sla_unit != "none",
        metadata={"type": "boolean", "description": "false: no published target"},
    )
    sla_note_ar = fields.String(allow_none=True)
    sla_note_en = fields.String(allow_none=True)
    escalation_days = fields.Integer(
        allow_none=True,
        metadata={"description": "Working days without action before the request is escalated"},
    )
    escalate_to = fields.String(allow_none=True, metadata={"description": "Role escalated to"})
    escalation_position = fields.Nested(
        PositionRefSchema,
        attribute="escalation_recipient",
        allow_none=True,
        metadata={
            "description": "The position level 2 of the escalation reaches (an unfilled one "
            "passes it one level up); level 3 is the authority's director"
        },
    )
    escalation_position_is_default = fields.Boolean(
        attribute="escalates_to_department_head",
        metadata={"description": "true: the service names no position; its department's head"},
    )
    escalation_channels = fields.List(
        fields.String(validate=validate.OneOf(ESCALATION_CHANNELS)),
        metadata={"description": "How escalations are sent: in_app, email, sms"},
    )
    director_escalation_days = fields.Integer(
        metadata={"description": "Further working days after level 2 before the director is told"}
    )
    fee = Money(attribute="fee_baisa")
    fee_is_placeholder = fields.Boolean(
        metadata={"description": "true: the fee is not yet confirmed by the authority"}
    )
    required_documents = fields.List(fields.Nested(RequiredDocumentSchema))
    is_active = fields.Boolean()

    def _sla_days(self, service):
        return service.sla_days if service.sla_unit == "working_days" else None


class DocumentInputSchema(TidyNamesSchema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(
            DOCUMENT_CODE, error=N_("Use lower-case English letters, digits and underscores.")
        ),
    )
    name_ar = fields.String(required=True, validate=validate.Length(min=1, max=300))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=300))
    mandatory = fields.Boolean(load_default=True)


class ServiceUpdateSchema(Schema):
    """What an admin may change. Absent fields stay as they are."""

    fee_baisa = Money(data_key="fee", metadata={"example": "12.500"})
    sla_days = fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_DAYS),
        metadata={"description": "A target in working days (sets `sla_unit` working_days)"},
    )
    sla_minutes = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_MINUTES),
        metadata={
            "description": "A target in working minutes inside the working hours (sets "
            "`sla_unit` working_minutes)"
        },
    )
    sla_unit = fields.String(
        validate=validate.OneOf(UNITS),
        metadata={"description": 'The target\'s unit; "none" clears the target (escalation only)'},
    )
    escalation_days = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_DAYS)
    )
    escalate_to = fields.String(allow_none=True, validate=validate.OneOf(STAFF_ROLE_NAMES))
    escalation_position_id = Id(
        data_key="escalation_position",
        allow_none=True,
        metadata={"description": "Id of a position of your authority; null: the department's head"},
    )
    escalation_channels = fields.List(
        fields.String(validate=validate.OneOf(ESCALATION_CHANNELS)),
        validate=validate.Length(min=1, max=len(ESCALATION_CHANNELS)),
        metadata={"description": "One or more of in_app, email, sms"},
    )
    director_escalation_days = fields.Integer(
        strict=True, validate=validate.Range(min=1, max=MAX_DAYS)
    )
    is_active = fields.Boolean()
    required_documents = fields.List(
        fields.Nested(DocumentInputSchema),
        validate=validate.Length(max=MAX_DOCUMENTS),
        metadata={"description": "The whole list, in order; it replaces the current one"},
    )

    @validates_schema
    def unique_channels(self, data, **kwargs):
        channels = data.get("escalation_channels", [])
        if len(channels) != len(set(channels)):
            raise ValidationError(N_("Each channel may appear only once."), "escalation_channels")

    @validates_schema
    def unique_document_codes(self, data, **kwargs):
        codes = [d["code"] for d in data.get("required_documents", [])]
        if len(codes) != len(set(codes)):
            raise ValidationError(
                N_("Each document code may appear only once."), "required_documents"
            )
