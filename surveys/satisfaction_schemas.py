"""What the rating and satisfaction report endpoints take and answer."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas import MuscatDateTime
from surveys.report import GROUPS


class SatisfactionRatingInput(Schema):
    score = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(validate=validate.Length(max=2000), allow_none=True)


class SatisfactionRatingSchema(Schema):
    subject_type = fields.String()
    reference = fields.String()
    score = fields.Integer()
    comment = fields.String(allow_none=True)
    rated_at = MuscatDateTime()


class SatisfactionReportQuery(Schema):
    first = fields.Date(
        data_key="from", metadata={"description": "First Muscat date of a rating (inclusive)"}
    )
    last = fields.Date(
        data_key="to", metadata={"description": "Last Muscat date of a rating (inclusive)"}
    )
    group = fields.String(load_default="service", validate=validate.OneOf(GROUPS))
    kind = fields.String(
        validate=validate.Length(min=1, max=20),
        metadata={"description": "One kind of rated record: application, refund, complaint..."},
    )
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(["json", "csv"]),
        metadata={"description": "`csv`: the same figures as a CSV file (UTF-8 with a BOM)"},
    )


class SatisfactionReportRowSchema(Schema):
    key = fields.String(
        allow_none=True,
        metadata={
            "description": "A service's or department's code, or a month (YYYY-MM); "
            "null: ratings counted under none"
        },
    )
    name_ar = fields.String(allow_none=True)
    name_en = fields.String(allow_none=True)
    count = fields.Integer()
    mean = fields.Float(allow_none=True, metadata={"description": "Two decimals; null: none"})
    distribution = fields.Dict(
        keys=fields.String(), values=fields.Integer(), metadata={"description": "Score 1 to 5"}
    )


class SatisfactionReportSchema(Schema):
    first = fields.Date(data_key="from", allow_none=True)
    last = fields.Date(data_key="to", allow_none=True)
    group = fields.String()
    groups = fields.List(fields.Nested(SatisfactionReportRowSchema))
    total = fields.Nested(SatisfactionReportRowSchema)
