"""What the FAQ and announcements APIs read and answer."""

from __future__ import annotations

from marshmallow import Schema, fields, pre_load, validate

from app.moderation import ModerationState
from app.schemas import AuthorityRefSchema, MuscatDateTime, MuscatLocalDateTime, ServiceRefSchema

STATES = [s.value for s in ModerationState]
QUESTION = validate.Length(min=1, max=500)
ANSWER = validate.Length(min=1, max=10_000)
CODE = validate.Length(min=1, max=60)
SEARCH_WORDS = (
    "Words of the question or answer, in Arabic or English; Arabic diacritics (tashkeel), tatweel "
    "and alef/hamza/yaa/taa marbuta variants are ignored, English case too"
)


def _tidy(data, keys):
    """Runs of white space in a one-line text made one space (as the catalogue's names)."""
    if isinstance(data, dict):
        data = dict(data)
        for key in keys:
            if isinstance(data.get(key), str):
                data[key] = " ".join(data[key].split())
    return data


class _FaqFilters(Schema):
    service = fields.String(validate=CODE, metadata={"description": "Service code"})
    q = fields.String(
        validate=validate.Length(min=1, max=100), metadata={"description": SEARCH_WORDS}
    )


class FaqQuerySchema(_FaqFilters):
    authority = fields.String(
        validate=validate.Length(min=1, max=10), metadata={"description": "Authority code"}
    )


class FaqStaffQuerySchema(_FaqFilters):
    """The caller's own authority's entries only."""

    state = fields.String(
        validate=validate.OneOf(STATES),
        metadata={"description": "pending (drafts), published or hidden; all when left out"},
    )


class FaqInputSchema(Schema):
    question_ar = fields.String(required=True, validate=QUESTION)
    question_en = fields.String(required=True, validate=QUESTION)
    answer_ar = fields.String(required=True, validate=ANSWER)
    answer_en = fields.String(required=True, validate=ANSWER)
    service = fields.String(
        allow_none=True,
        validate=CODE,
        metadata={"description": "Code of a service of your authority the entry is about"},
    )
    position = fields.Integer(
        strict=True,
        load_default=0,
        validate=validate.Range(min=0, max=100_000),
        metadata={"description": "Order in the list: lower first"},
    )
    source = fields.String(
        allow_none=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "Reference of the suggestion or inquiry it was proposed from"},
    )

    @pre_load
    def tidy_questions(self, data, **kwargs):
        return _tidy(data, ("question_ar", "question_en", "source"))


class FaqUpdateSchema(FaqInputSchema):
    """What an author may change. Absent fields stay as they are."""

    question_ar = fields.String(validate=QUESTION)
    question_en = fields.String(validate=QUESTION)
    answer_ar = fields.String(validate=ANSWER)
    answer_en = fields.String(validate=ANSWER)
    position = fields.Integer(strict=True, validate=validate.Range(min=0, max=100_000))


class HideSchema(Schema):
    reason = fields.String(
        required=True,
        validate=validate.Length(max=1000),
        metadata={
            "description": "Why it breaks the policy: kept with the entry and in the audit log"
        },
    )


class FaqEntrySchema(Schema):
    id = fields.Integer()
    authority = fields.Nested(AuthorityRefSchema)
    service = fields.Nested(ServiceRefSchema, allow_none=True)
    question_ar = fields.String()
    question_en = fields.String()
    answer_ar = fields.String()
    answer_en = fields.String()
    position = fields.Integer()
    state = fields.String(attribute="moderation_state", metadata={"enum": STATES})
    updated_at = MuscatDateTime()


class FaqStaffEntrySchema(FaqEntrySchema):
    """An entry as its authority's staff see it: with what it was proposed from (an inquiry's
    reference is no one else's business) and the last moderation decision."""

    source = fields.String(allow_none=True)

    moderated_at = MuscatDateTime(allow_none=True)
    moderated_by_id = fields.Integer(allow_none=True)
    moderation_reason = fields.String(allow_none=True)
    created_by_id = fields.Integer(allow_none=True)


class AnnouncementQuerySchema(Schema):
    authority = fields.String(
        validate=validate.Length(min=1, max=10),
        metadata={
            "description": "Authority code; announcements to all authorities are always listed"
        },
    )


class AnnouncementInputSchema(Schema):
    title_ar = fields.String(required=True, validate=validate.Length(min=1, max=300))
    title_en = fields.String(required=True, validate=validate.Length(min=1, max=300))
    body_ar = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    body_en = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    publish_at = MuscatLocalDateTime(
        validate=validate.Range(
            min=MuscatLocalDateTime().deserialize("2000-01-01T00:00:00+04:00"),
            max=MuscatLocalDateTime().deserialize("2100-01-01T00:00:00+04:00"),
        ),
        metadata={
            "description": "When it is shown (ISO 8601; without an offset Asia/Muscat); now when "
            "left out"
        },
    )
    all_authorities = fields.Boolean(
        load_default=False, metadata={"description": "Announce to every authority (admins only)"}
    )
    sms_subscribers = fields.Boolean(
        load_default=False,
        metadata={
            "description": "Also send the title by SMS to everyone who consented to news by SMS "
            "(`marketing_sms`); only for news announced now"
        },
    )

    @pre_load
    def tidy_titles(self, data, **kwargs):
        return _tidy(data, ("title_ar", "title_en"))


class AnnouncementSchema(Schema):
    id = fields.Integer()
    authority = fields.Nested(
        AuthorityRefSchema, allow_none=True, metadata={"description": "null: all authorities"}
    )
    title_ar = fields.String()
    title_en = fields.String()
    body_ar = fields.String()
    body_en = fields.String()
    publish_at = MuscatDateTime()
