"""What the surveys API takes and answers."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.i18n import N_
from app.schemas import AuthorityRefSchema, Id, MuscatDateTime, MuscatLocalDateTime
from app.timeutil import utcnow
from surveys.models import Audience, QuestionKind, SurveyKind
from surveys.queries import accepting_answers

# Moments a survey can open or close at (a year like 469 cannot be written back as ISO 8601
# with four digits, and no survey opens then).
IN_OUR_CENTURY = validate.Range(
    min=MuscatLocalDateTime().deserialize("2000-01-01T00:00:00+04:00"),
    max=MuscatLocalDateTime().deserialize("2100-01-01T00:00:00+04:00"),
)

MAX_QUESTIONS, MAX_OPTIONS, MAX_TEXT = 50, 30, 2000
CHOICES = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
OPTIONS_NEEDED = N_("A choice question needs at least two options.")
NO_OPTIONS = N_("Only a choice question has options.")


def _text(size: int, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=size), **kwargs)


class SurveyOptionInput(Schema):
    text_ar = _text(300, required=True)
    text_en = _text(300, required=True)


class SurveyQuestionInput(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in QuestionKind]))
    text_ar = _text(500, required=True)
    text_en = _text(500, required=True)
    required = fields.Boolean(load_default=True)
    options = fields.List(
        fields.Nested(SurveyOptionInput),
        validate=validate.Length(max=MAX_OPTIONS),
        load_default=list,
    )

    @validates_schema
    def _options_fit_the_kind(self, data, **kwargs) -> None:
        choice = data.get("kind") in CHOICES
        if choice and len(data.get("options", [])) < 2:
            raise ValidationError(OPTIONS_NEEDED, "options")
        if not choice and data.get("options"):
            raise ValidationError(NO_OPTIONS, "options")


class SurveyInput(Schema):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in SurveyKind]))
    audience = fields.String(
        load_default=Audience.PUBLIC.value,
        validate=validate.OneOf([a.value for a in Audience]),
        metadata={"description": "`public`: anyone reads it; `accounts`: signed-in users only"},
    )
    title_ar = _text(300, required=True)
    title_en = _text(300, required=True)
    description_ar = fields.String(validate=validate.Length(max=5000), load_default="")
    description_en = fields.String(validate=validate.Length(max=5000), load_default="")
    opens_at = MuscatLocalDateTime(
        allow_none=True,
        validate=IN_OUR_CENTURY,
        metadata={"description": "Asia/Muscat unless an offset is given"},
    )
    closes_at = MuscatLocalDateTime(allow_none=True, validate=IN_OUR_CENTURY)
    results_public = fields.Boolean(
        load_default=False,
        metadata={"description": "Results public while open too (else once a public one ends)"},
    )
    questions = fields.List(
        fields.Nested(SurveyQuestionInput),
        validate=validate.Length(max=MAX_QUESTIONS),
        load_default=list,
    )


class SurveyUpdate(SurveyInput):
    """A draft's fields, each optional (loaded with `partial=SURVEY_FIELDS`: a question given
    is still checked whole); `questions`, when given, replaces them all."""


SURVEY_FIELDS = tuple(SurveyInput._declared_fields)


class SurveyOptionSchema(Schema):
    id = fields.Integer()
    text_ar = fields.String()
    text_en = fields.String()


class SurveyQuestionSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    kind = fields.String()
    text_ar = fields.String()
    text_en = fields.String()
    required = fields.Boolean()
    options = fields.List(fields.Nested(SurveyOptionSchema))


class SurveySchema(Schema):
    id = fields.Integer()
    authority = fields.Nested(AuthorityRefSchema)
    kind = fields.String()
    audience = fields.String()
    state = fields.String(metadata={"description": "draft, open or closed"})
    title_ar = fields.String()
    title_en = fields.String()
    description_ar = fields.String()
    description_en = fields.String()
    opens_at = MuscatDateTime(allow_none=True)
    closes_at = MuscatDateTime(allow_none=True)
    results_public = fields.Boolean()
    published_at = MuscatDateTime(allow_none=True)
    closed_at = MuscatDateTime(allow_none=True)
    accepting_answers = fields.Method(
        "_accepting_answers",
        metadata={"type": "boolean", "description": "Open, and now between opens_at and closes_at"},
    )
    questions = fields.List(fields.Nested(SurveyQuestionSchema))

    def _accepting_answers(self, survey) -> bool:
        return accepting_answers(survey, utcnow())


class SurveyListQuery(Schema):
    authority = fields.String(validate=validate.Length(min=1, max=10))
    kind = fields.String(validate=validate.OneOf([k.value for k in SurveyKind]))
    state = fields.String(validate=validate.OneOf(["draft", "open", "closed"]))


class SurveyAnswerInput(Schema):
    option_ids = fields.List(Id(), validate=validate.Length(min=1, max=MAX_OPTIONS))
    scale = fields.Integer(strict=True)
    text = fields.String(validate=validate.Length(max=MAX_TEXT))


class SurveyResponseInput(Schema):
    answers = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^[1-9][0-9]{0,9}$")),
        values=fields.Nested(SurveyAnswerInput),
        required=True,
        validate=validate.Length(max=MAX_QUESTIONS),
        metadata={
            "description": "By question id: `option_ids` (single: one, multiple: one or more), "
            "`scale` (1 to 5) or `text`, as the question's kind asks"
        },
    )


class SurveyResponseSchema(Schema):
    id = fields.Integer()
    survey_id = fields.Integer()
    answered_at = MuscatDateTime()


class SurveyOptionCountSchema(SurveyOptionSchema):
    count = fields.Integer()


class SurveyTextAnswerSchema(Schema):
    id = fields.Integer()
    question_id = fields.Integer()
    text = fields.String()
    answered_at = MuscatDateTime()
    moderation_state = fields.String(metadata={"description": "pending, published or hidden"})
    moderation_reason = fields.String(allow_none=True)


class SurveyQuestionResultSchema(Schema):
    id = fields.Integer()
    position = fields.Integer()
    kind = fields.String()
    text_ar = fields.String()
    text_en = fields.String()
    answered = fields.Integer(metadata={"description": "Respondents who answered it"})
    options = fields.List(fields.Nested(SurveyOptionCountSchema))
    distribution = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Scale: 1 to 5"}
    )
    mean = fields.Float(allow_none=True, metadata={"description": "Scale: two decimals"})
    text_answers = fields.List(
        fields.Nested(SurveyTextAnswerSchema),
        metadata={"description": "Free text: published ones only, but for the staff"},
    )


class SurveyResultsSchema(Schema):
    survey_id = fields.Integer()
    state = fields.String()
    respondents = fields.Integer()
    questions = fields.List(fields.Nested(SurveyQuestionResultSchema))


class SurveyTextAnswerQuery(Schema):
    state = fields.String(validate=validate.OneOf(["pending", "published", "hidden"]))


class SurveyModerationInput(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["publish", "hide"]))
    reason = fields.String(validate=validate.Length(max=1000))
