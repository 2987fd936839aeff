"""What the cases API shows and takes."""

from __future__ import annotations

from urllib.parse import quote

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.i18n import N_
from app.schemas import (
    AuthorityRefSchema,
    DepartmentRefSchema,
    Id,
    MuscatDateTime,
    MuscatLocalDateTime,
    ServiceRefSchema,
    StoredFileSchema,
    TimelineEventSchema,
)
from app.timeutil import to_muscat, utcnow
from cases.kinds import Channel, Classification, Decision, Kind
from cases.lifecycle import State

PARTY_KINDS = ("person", "company")
CR_ONLY_FOR_COMPANIES = N_("A CR number belongs to a company.")
INCIDENT_AHEAD = N_("The incident cannot be in the future.")
# The FAQ is its own package (faq/, `GET /api/v1/faq?q=`): an inquiry only points at its search.
FAQ_SEARCH = "/api/v1/faq?q="


def _text(limit: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=limit), **kwargs)


class CaseContactInput(Schema):
    name = _text(200, required=True)
    email = fields.Email(validate=validate.Length(max=254))
    phone = fields.String(validate=validate.Regexp(r"^\+?\d{7,15}$"))


class CaseFilingInput(Schema):
    """What every kind takes; staff intake adds the person, the contact and the channel."""

    authority = fields.String(required=True, validate=validate.Length(min=2, max=10))
    subject = _text(300, required=True)
    description = _text(8000, required=True)
    category = _text(60)
    channel = fields.String(validate=validate.OneOf([c.value for c in Channel]))
    person_id = Id(metadata={"description": "staff intake: the person's account"})
    contact = fields.Nested(
        CaseContactInput, metadata={"description": "staff intake or no account: who to answer"}
    )


class ComplaintInput(CaseFilingInput):
    incident_place = _text(300, required=True)
    incident_at = MuscatLocalDateTime(required=True)
    party_kind = fields.String(required=True, validate=validate.OneOf(PARTY_KINDS))
    party_name = _text(200, required=True)
    party_cr_number = fields.String(validate=validate.Regexp(r"^\d{1,20}$"))
    classification = fields.String(validate=validate.OneOf([c.value for c in Classification]))
    tajawob_reference = _text(40)

    @validates_schema
    def _incident_not_ahead(self, data, **kwargs):
        if data.get("incident_at") and data["incident_at"] > utcnow():
            raise ValidationError(INCIDENT_AHEAD, "incident_at")

    @validates_schema
    def _cr_of_a_company(self, data, **kwargs):
        if data.get("party_cr_number") and data.get("party_kind") != "company":
            raise ValidationError(CR_ONLY_FOR_COMPANIES, "party_cr_number")


class SuggestionInput(CaseFilingInput):
    kind = fields.String(
        load_default=Kind.SUGGESTION.value,
        validate=validate.OneOf([Kind.SUGGESTION.value, Kind.COMMENT.value]),
    )


class CaseActionInput(Schema):
    note = _text(4000)
    answer = _text(8000)
    decision = fields.String(validate=validate.OneOf([d.value for d in Decision]))
    department = fields.String(validate=validate.Length(min=1, max=40))
    authority = fields.String(validate=validate.Length(min=2, max=10))


class CaseQueueQuery(Schema):
    kind = fields.String(validate=validate.OneOf([k.value for k in Kind]))
    state = fields.String(validate=validate.OneOf([s.value for s in State]))
    department = fields.String(validate=validate.Length(min=1, max=40))


class CasePersonRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class CaseSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    kind = fields.String()
    state = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    service = fields.Nested(ServiceRefSchema)
    department = fields.Nested(DepartmentRefSchema)
    subject = fields.String()
    category = fields.String(allow_none=True)
    classification = fields.String()
    channel = fields.String()
    due_date = fields.Date(attribute="sla_due_date", allow_none=True)
    due_at = MuscatDateTime(
        attribute="sla_due_at",
        allow_none=True,
        metadata={"description": "The due moment of a target in working minutes, else null"},
    )
    created_at = MuscatDateTime()


class CaseDetailSchema(CaseSchema):
    description = fields.String()
    person = fields.Nested(CasePersonRefSchema, allow_none=True)
    contact = fields.Function(
        lambda c: (
            {"name": c.contact_name, "email": c.contact_email, "phone": c.contact_phone}
            if c.contact_name
            else None
        )
    )
    filed_by = fields.Nested(CasePersonRefSchema, allow_none=True)
    assignee = fields.Nested(CasePersonRefSchema, allow_none=True)
    incident_place = fields.String(allow_none=True)
    incident_at = MuscatDateTime(allow_none=True)
    party = fields.Function(
        lambda c: (
            {"kind": c.party_kind, "name": c.party_name, "cr_number": c.party_cr_number}
            if c.party_kind
            else None
        )
    )
    tajawob_reference = fields.String(allow_none=True)
    decision = fields.String(allow_none=True)
    answer = fields.String(allow_none=True)
    answer_language = fields.String(allow_none=True)
    answered_at = MuscatDateTime(allow_none=True)
    reopen_count = fields.Integer()
    forwarded_from = fields.Function(lambda c: _reference_of(c.forwarded_from_id))
    forwarded_to = fields.Function(lambda c: _reference_of(c.forwarded_to_id))
    moderation_state = fields.String()
    sla = fields.Method("_sla")
    timeline = fields.List(fields.Nested(TimelineEventSchema), attribute="events")

    def _sla(self, case):
        status = case.sla_status()
        return {
            "target_days": status.target_days,
            "due_date": status.due_date.isoformat() if status.due_date else None,
            "state": str(status.state),
            "unit": str(status.unit),
            "target_minutes": status.target_minutes,
            "due_at": to_muscat(status.due_at).isoformat() if status.due_at else None,
        }


def _reference_of(case_id: int | None) -> str | None:
    if case_id is None:
        return None
    import sqlalchemy as sa

    from app.extensions import db
    from cases.models import Case

    return db.session.scalar(sa.select(Case.reference).where(Case.id == case_id))


class FiledSchema(CaseDetailSchema):
    token = fields.String(
        allow_none=True,
        metadata={
            "description": "a case without an account only, shown once: its contact reads the "
            "answer with it at GET /inquiries/{reference}?token="
        },
    )
    faq_search = fields.String(
        allow_none=True, metadata={"description": "inquiries: the FAQ search for the question"}
    )


def filed_view(filed):
    """The new case as `FiledSchema` shows it: with the token, and for an inquiry the FAQ
    search that might answer it at once (set on the instance for the dump, never stored)."""
    case = filed.case
    case.token = filed.token
    case.faq_search = (
        FAQ_SEARCH + quote(case.subject or case.description) if case.kind == Kind.INQUIRY else None
    )
    return case


class InquiryAnswerSchema(Schema):
    """What an anonymous inquirer reads with the token."""

    reference = fields.String()
    state = fields.String()
    subject = fields.String()
    answer = fields.String(allow_none=True)
    answered_at = MuscatDateTime(allow_none=True)
    authority = fields.Nested(AuthorityRefSchema)
    forwarded_to = fields.Function(lambda c: _reference_of(c.forwarded_to_id))


class InquiryTokenQuery(Schema):
    token = fields.String(load_default=None)


class CaseMessageInput(Schema):
    body = _text(4000, required=True)


class CaseMessageSchema(Schema):
    id = fields.Integer()
    author_role = fields.String()
    body = fields.String()
    created_at = MuscatDateTime()


class CaseEvidenceSchema(StoredFileSchema):
    pass


class CaseRatingInput(Schema):
    score = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = _text(2000)


class CaseRatingSchema(Schema):
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    rated_at = MuscatDateTime()


class CaseModerationInput(Schema):
    reason = _text(2000)


class PublishedSuggestionsQuery(Schema):
    authority = fields.String(validate=validate.Length(min=2, max=10))


class PublishedSuggestionSchema(Schema):
    """A published suggestion or comment: its text and answer, never who sent it."""

    reference = fields.String()
    kind = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    subject = fields.String()
    description = fields.String()
    decision = fields.String(allow_none=True)
    answer = fields.String(allow_none=True)
    answered_at = MuscatDateTime(allow_none=True)
