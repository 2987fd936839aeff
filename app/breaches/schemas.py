"""What a breach explanation takes and shows."""

from __future__ import annotations

from marshmallow import Schema, fields, post_dump, validate

from app.access import current_user
from app.schemas import MuscatDateTime

TEXT = validate.Length(min=1, max=2000)


class ExplanationInput(Schema):
    reason_ar = fields.String(validate=TEXT, metadata={"description": "Why, in Arabic"})
    reason_en = fields.String(validate=TEXT, metadata={"description": "Why, in English"})
    remedy_ar = fields.String(
        validate=TEXT, metadata={"description": "What is being done, in Arabic"}
    )
    remedy_en = fields.String(
        validate=TEXT, metadata={"description": "What is being done, in English"}
    )


class ExplanationSchema(Schema):
    id = fields.Integer()
    subject_type = fields.String(metadata={"description": "application"})
    reference = fields.String()
    due_date = fields.Date(metadata={"description": "The due date that was missed"})
    created_at = MuscatDateTime()
    language = fields.String(
        metadata={"description": "The applicant's language, in which they were told"}
    )
    author_role = fields.String(metadata={"description": "Staff only"})
    reason_ar = fields.String(allow_none=True)
    reason_en = fields.String(allow_none=True)
    remedy_ar = fields.String(allow_none=True)
    remedy_en = fields.String(allow_none=True)

    @post_dump
    def _applicant_reads_their_language(self, data, **kwargs):
        """An applicant reads the explanation in their language (the one they were told in,
        when it has no text in the language they chose since); staff read both and who wrote."""
        user = current_user()
        if user is not None and user.is_staff:
            return data
        language = data["language"]
        if user is not None and data.get(f"reason_{user.preferred_language}"):
            language = user.preferred_language
        data.pop("author_role", None)
        for other in {"ar", "en"} - {language}:
            data.pop(f"reason_{other}", None)
            data.pop(f"remedy_{other}", None)
        return data


class ExplanationsQuery(Schema):
    first = fields.Date(
        data_key="from",
        metadata={"description": "First Muscat date on which an explanation was recorded"},
    )
    last = fields.Date(
        data_key="to",
        metadata={"description": "Last Muscat date on which an explanation was recorded"},
    )
