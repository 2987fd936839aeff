"""What the SLA report's figures and the public service levels show."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from app.schemas import AuthorityRefSchema, ServiceRefSchema
from licensing.public_service_levels import MINIMUM_COMPLETIONS, MONTHS, WINDOW_DAYS
from licensing.service_levels import GROUPS


class SlaGroupSchema(Schema):
    code = fields.String(
        metadata={
            "description": "The department's or service's code, the family, or the month "
            "(YYYY-MM); absent for an inspector"
        }
    )
    name_ar = fields.String()
    name_en = fields.String()
    id = fields.Integer(
        allow_none=True,
        metadata={"description": "group_by=inspector: the assignee's id; null: unassigned"},
    )
    name = fields.String(
        allow_none=True, metadata={"description": "group_by=inspector: the assignee's name"}
    )


class SlaFiguresSchema(Schema):
    group = fields.Nested(SlaGroupSchema)
    received = fields.Integer(metadata={"description": "Applications whose clock started"})
    completed = fields.Integer(metadata={"description": "Of those, decided (clock stopped)"})
    completed_on_time = fields.Integer(
        metadata={"description": "Decided on or before the due date"}
    )
    completed_late = fields.Integer(metadata={"description": "Decided after the due date"})
    on_time_percent = fields.Float(
        allow_none=True,
        metadata={
            "description": "completed_on_time of those completed with a target, in percent, "
            "one decimal; null: none (a service with no target is never on time or late)"
        },
    )
    median_working_days = fields.Float(
        allow_none=True,
        metadata={"description": "Median working days used by the completed (pauses excluded)"},
    )
    p90_working_days = fields.Float(
        allow_none=True, metadata={"description": "90th percentile of the same"}
    )
    open = fields.Integer(metadata={"description": "Not decided yet, today"})
    breached = fields.Integer(metadata={"description": "Open and past the due date, today"})
    paused = fields.Integer(metadata={"description": "Open and waiting on the applicant, today"})


GROUP_BY = fields.String(
    load_default="service",
    validate=validate.OneOf(GROUPS),
    metadata={"description": "What each line of `rows` is: " + ", ".join(GROUPS)},
)
REPORT_FORMAT = fields.String(
    load_default="json",
    validate=validate.OneOf(["json", "csv"]),
    metadata={
        "description": "`csv`: `rows` as a CSV file (UTF-8 with a BOM, a header row); "
        "`Accept: text/csv` does the same"
    },
)


class PublicLevelsQuery(Schema):
    authority = fields.String(
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": "The authority's code, e.g. NBG"},
    )


class PublicFiguresSchema(Schema):
    on_time_percent = fields.Float(
        allow_none=True,
        metadata={
            "description": "Completed on or before the due date, in percent of those completed "
            "with a target; null when suppressed or the service has no target"
        },
    )
    median_working_days = fields.Float(
        allow_none=True,
        metadata={"description": "Median working days to completion; null when suppressed"},
    )
    suppressed = fields.Boolean(
        metadata={
            "description": f"True when a figure is withheld because it would be computed over "
            f"fewer than {MINIMUM_COMPLETIONS} completions (none included), so that no "
            "applicant or employee can be singled out"
        }
    )


class PublicMonthSchema(PublicFiguresSchema):
    month = fields.String(metadata={"description": "YYYY-MM (Asia/Muscat)"})


class PublicServiceLevelSchema(Schema):
    service = fields.Nested(ServiceRefSchema)
    has_target = fields.Boolean(
        metadata={"description": "False: the service publishes no completion time"}
    )
    target_days = fields.Integer(
        allow_none=True, metadata={"description": "The published target in working days"}
    )
    target_minutes = fields.Integer(
        allow_none=True,
        metadata={"description": "The published target in working minutes (inside working hours)"},
    )
    last_90_days = fields.Nested(PublicFiguresSchema)
    months = fields.List(
        fields.Nested(PublicMonthSchema),
        metadata={"description": f"The last {MONTHS} calendar months, oldest first"},
    )


class PublicLevelsSchema(Schema):
    authority = fields.Nested(AuthorityRefSchema)
    as_of = fields.Date(
        metadata={
            "description": "The last Muscat day counted: yesterday (the figures change once a day)"
        }
    )
    window_from = fields.Date(metadata={"description": f"First day of the {WINDOW_DAYS} days"})
    minimum_completions = fields.Integer(
        metadata={"description": "Fewer completions than this: no figure (`suppressed`)"}
    )
    services = fields.List(fields.Nested(PublicServiceLevelSchema))
