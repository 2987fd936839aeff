"""What the priority declarations API shows and takes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.accounts.priority_models import PriorityCategory, PriorityState
from app.schemas import MuscatDateTime


class PersonSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class PriorityDocumentSchema(Schema):
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = MuscatDateTime()


class PriorityDeclarationSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    applicant = fields.Nested(PersonSchema)
    category = fields.String(
        metadata={"enum": [c.value for c in PriorityCategory]},
    )
    state = fields.String(metadata={"enum": [s.value for s in PriorityState]})
    document = fields.Function(
        lambda declaration: PriorityDocumentSchema().dump(declaration),
        metadata={"type": "object", "description": "The supporting document (download below)"},
    )
    declared_at = MuscatDateTime(attribute="created_at")
    decided_at = MuscatDateTime(allow_none=True)
    decided_by = fields.Nested(PersonSchema, allow_none=True)
    reason = fields.String(allow_none=True)


class DeclarationsQuery(Schema):
    state = fields.String(validate=validate.OneOf([s.value for s in PriorityState]))


class DecisionInput(Schema):
    reason = fields.String(
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "Why: required to refuse or revoke, optional to verify"},
    )
