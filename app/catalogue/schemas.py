from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates_schema

from app.accounts.models import STAFF_ROLES, Role
from app.catalogue.models import ServiceAction, ServiceFamily
from app.i18n import N_
from app.money import Money
from app.schemas import AuthorityRefSchema, DepartmentRefSchema

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
    fee = Money(attribute="fee_baisa")
    fee_is_placeholder = fields.Boolean(
        metadata={"description": "true: the fee is not yet confirmed by the authority"}
    )
    required_documents = fields.List(fields.Nested(RequiredDocumentSchema))
    is_active = fields.Boolean()

    def _sla_days(self, service):
        return service.sla_days if service.sla_unit == "working_days" else None


class DocumentInputSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.Regexp(
            DOCUMENT_CODE, error=N_("Use lower-case English letters, digits and underscores.")
        ),
    )
    name_ar = fields.String(required=True, validate=validate.Length(min=1, max=300))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=300))
    mandatory = fields.Boolean(load_default=True)

    @pre_load
    def tidy_names(self, data, **kwargs):
        if isinstance(data, dict):
            data = dict(data)
            for key in ("name_ar", "name_en"):
                if isinstance(data.get(key), str):
                    data[key] = " ".join(data[key].split())
        return data


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
    is_active = fields.Boolean()
    required_documents = fields.List(
        fields.Nested(DocumentInputSchema),
        validate=validate.Length(max=MAX_DOCUMENTS),
        metadata={"description": "The whole list, in order; it replaces the current one"},
    )

    @validates_schema
    def unique_document_codes(self, data, **kwargs):
        codes = [d["code"] for d in data.get("required_documents", [])]
        if len(codes) != len(set(codes)):
            raise ValidationError(
                N_("Each document code may appear only once."), "required_documents"
            )
