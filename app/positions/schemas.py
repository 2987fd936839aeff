"""What the positions API reads and answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.i18n import N_
from app.positions.models import PositionCode
from app.schemas import DepartmentRefSchema, Id, MuscatDateTime, TidyNamesSchema

CODES = [c.value for c in PositionCode]
KEY = r"^[a-z][a-z0-9_:.-]{0,59}$"
KEY_MESSAGE = N_("Use lower-case English letters, digits, and _ : . - (up to 60).")


class PositionQuerySchema(Schema):
    department = fields.String(
        validate=validate.Length(min=1, max=40), metadata={"description": "Department code"}
    )
    code = fields.String(validate=validate.OneOf(CODES))
    unfilled = fields.Boolean(
        metadata={
            "description": "true: only positions nobody active holds (unfilled, or their holder "
            "deactivated); false: only filled ones"
        }
    )


class HolderSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()
    is_active = fields.Boolean()


class PositionRefSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    code = fields.String(metadata={"enum": CODES})
    name_ar = fields.String()
    name_en = fields.String()


class PositionSchema(PositionRefSchema):
    department = fields.Nested(DepartmentRefSchema, allow_none=True)
    holder = fields.Nested(HolderSchema, allow_none=True)
    filled = fields.Boolean(
        metadata={"description": "An active member of staff holds it; if not, escalations pass "
                  "it one level up (reports_to)"}
    )  # fmt: skip
    reports_to = fields.Nested(PositionRefSchema, allow_none=True)
    passed_over = fields.Integer(
        metadata={"description": "How many escalations passed over it while it was unfilled"}
    )
    last_passed_over_at = MuscatDateTime(allow_none=True)


class PositionInputSchema(TidyNamesSchema):
    key = fields.String(
        required=True,
        validate=validate.Regexp(KEY, error=KEY_MESSAGE),
        metadata={"description": "Its lasting name in your authority, e.g. training_section"},
    )
    code = fields.String(required=True, validate=validate.OneOf(CODES))
    department = fields.String(
        validate=validate.Length(min=1, max=40),
        metadata={"description": "Department code; required for department_head and "
                  "section_manager, none for director"},
    )  # fmt: skip
    name_ar = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_en = fields.String(required=True, validate=validate.Length(min=1, max=200))
    holder = Id(allow_none=True, metadata={"description": "Id of an active member of your staff"})
    reports_to = Id(
        allow_none=True,
        metadata={"description": "Id of the position one level up; by default a section "
                  "manager's department head, for the others the director"},
    )  # fmt: skip


class PositionUpdateSchema(TidyNamesSchema):
    """What an admin may change. Absent fields stay as they are; `holder: null` vacates it."""

    name_ar = fields.String(validate=validate.Length(min=1, max=200))
    name_en = fields.String(validate=validate.Length(min=1, max=200))
    holder = Id(allow_none=True)
    reports_to = Id(allow_none=True)
