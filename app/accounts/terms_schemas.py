from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas import MuscatDateTime

MAX_TEXT = 100_000


class TermsQuery(Schema):
    authority = fields.String(
        validate=validate.Length(min=2, max=10), metadata={"description": "NBG, ABG or MEM"}
    )


class TermsVersionSchema(Schema):
    id = fields.Integer()
    authority = fields.Function(lambda v: v.authority.code)
    version = fields.Integer()
    terms_ar = fields.String()
    terms_en = fields.String()
    privacy_ar = fields.String()
    privacy_en = fields.String()
    summary_ar = fields.String()
    summary_en = fields.String()
    published_at = MuscatDateTime()
    is_current = fields.Boolean()


class TermsInputSchema(Schema):
    terms_ar = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    terms_en = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    privacy_ar = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    privacy_en = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT))
    summary_ar = fields.String(
        validate=validate.Length(max=500), metadata={"description": "What changed"}
    )
    summary_en = fields.String(validate=validate.Length(max=500))


class AcceptInputSchema(Schema):
    terms_version_ids = fields.List(
        fields.Integer(strict=True, validate=validate.Range(min=1)),
        validate=validate.Length(min=1, max=20),
        metadata={"description": "The versions accepted; every pending one when left out"},
    )


class AcceptanceSchema(Schema):
    terms_version_id = fields.Integer()
    authority = fields.Function(lambda a: a.terms_version.authority.code)
    version = fields.Function(lambda a: a.terms_version.version)
    accepted_at = MuscatDateTime()
    how = fields.String()


class MyTermsSchema(Schema):
    accepted = fields.List(fields.Nested(AcceptanceSchema))
    pending = fields.List(fields.Nested(TermsVersionSchema))


class ConsentRowSchema(Schema):
    notice_version = fields.String()
    granted_at = MuscatDateTime()
    withdrawn_at = MuscatDateTime(allow_none=True)


class ConsentSchema(Schema):
    purpose = fields.String()
    notice_version = fields.String(metadata={"description": "The version of the text shown"})
    text_ar = fields.String()
    text_en = fields.String()
    granted = fields.Boolean()
    history = fields.List(fields.Nested(ConsentRowSchema))


class ConsentsSchema(Schema):
    purposes = fields.List(fields.Nested(ConsentSchema))


class ConsentInputSchema(Schema):
    granted = fields.Boolean(required=True)
