"""What the applications API shows and takes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import Schema, fields, post_dump, validate

from app.access import current_user
from app.money import Money, format_baisa
from app.schemas import (
    AuthorityRefSchema,
    Id,
    MuscatDateTime,
    ServiceRefSchema,
    StoredFileSchema,
    TimelineEventSchema,
    id_text_in_range,
)
from app.sla import SlaStatus
from app.timeutil import to_muscat
from licensing.families.schemas import shown_details
from licensing.lifecycle import TRANSITIONS, State
from licensing.register import keeps_register, verification_url
from licensing.service_level_schemas import GROUP_BY, REPORT_FORMAT, SlaFiguresSchema


class PersonRefSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class SlaSchema(Schema):
    target_days = fields.Integer(
        allow_none=True, metadata={"description": "null unless `unit` is working_days"}
    )
    started_at = MuscatDateTime(allow_none=True)
    due_date = fields.Date(
        allow_none=True,
        metadata={"description": "Of a minute target, the date of `due_at`; null with no target"},
    )
    working_days_used = fields.Integer()
    working_days_left = fields.Integer(allow_none=True)
    paused = fields.Boolean()
    state = fields.String(
        metadata={
            "enum": ["not_started", "on_track", "at_risk", "breached", "met", "no_target"],
            "description": "at_risk: one working day or less left (a minute target: a quarter "
            "of it or less); no_target: the service publishes no target (escalation only)",
        }
    )
    unit = fields.String(metadata={"enum": ["working_days", "working_minutes", "none"]})
    target_minutes = fields.Integer(
        allow_none=True, metadata={"description": "The target when `unit` is working_minutes"}
    )
    due_at = MuscatDateTime(
        allow_none=True,
        metadata={"description": "The due moment of a minute target (null for the others)"},
    )
    working_minutes_used = fields.Integer(allow_none=True)
    working_minutes_left = fields.Integer(allow_none=True)


class ApplicationSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    service = fields.Nested(ServiceRefSchema)
    family = fields.String()
    action = fields.String()
    state = fields.String()
    details = fields.Method(
        "_details",
        metadata={
            "type": "object",
            "description": "As given; in a family's application amounts are strings with three "
            'decimals ("350.000")',
        },
    )
    fee = Money(attribute="fee_baisa")
    required_documents = fields.List(
        fields.Dict(),
        metadata={
            "description": "The documents the service asked for when the application was made: "
            "code, name_ar, name_en, mandatory"
        },
    )
    licence_number = fields.Function(lambda a: a.licence.number if a.licence else None)
    inspection_date = fields.Date(allow_none=True)
    rejection_reason_ar = fields.String(allow_none=True)
    rejection_reason_en = fields.String(allow_none=True)
    applicant = fields.Nested(PersonRefSchema)
    assignee = fields.Nested(PersonRefSchema, allow_none=True)
    submitted_at = MuscatDateTime(allow_none=True)
    created_at = MuscatDateTime()
    sla = fields.Method("_sla")
    priority = fields.Function(
        lambda application: bool(application.priority),
        metadata={
            "type": "boolean",
            "description": "Staff only (absent from an applicant's answers): the applicant's "
            "priority category (elderly, disability) is verified; the queue puts it first among "
            "applications due the same day",
        },
    )

    @post_dump
    def _staff_only(self, data, **kwargs):
        """The priority flag is shown to staff only (`shown_to_staff`)."""
        if not shown_to_staff():
            data.pop("priority", None)
        return data

    def _sla(self, application):
        return SlaSchema().dump(application.sla_status())

    def _details(self, application):
        checked = keeps_register(application.family, application.action)
        return shown_details(application.family, application.details, checked)


class ApplicationDetailSchema(ApplicationSchema):
    timeline = fields.List(fields.Nested(TimelineEventSchema), attribute="events")


def shown_to_staff() -> bool:
    """Whether the caller of the request is staff: the staff-only fields of an application
    (`priority`) are in the answer. Outside a request (a job, a test's dump) they are not."""
    user = current_user()
    return user is not None and user.is_staff


def _muscat(moment) -> str | None:
    return None if moment is None else to_muscat(moment).isoformat()


def _iso_date(day) -> str | None:
    return None if day is None else day.isoformat()


def application_item(
    row: Mapping[str, Any], sla: SlaStatus, *, staff: bool = True
) -> dict[str, Any]:
    """What `ApplicationSchema` dumps, written out for the lists and the hot read: `row` holds
    the application's columns and its references' (`authority_code`, `service_name_en`,
    `applicant_name`, `assignee_name`, `licence_number`, ...), `sla` its clock's status; the
    staff-only fields when `staff`. Keep the two in step: tests/licensing/test_list_items.py
    compares their JSON for records of every shape, and fails on any field one has and the other
    has not."""
    assignee_id = row["assignee_id"]
    documents = row["required_documents"]
    item = {
        "id": row["id"],
        "reference": row["reference"],
        "authority": {
            "code": row["authority_code"],
            "name_ar": row["authority_name_ar"],
            "name_en": row["authority_name_en"],
        },
        "service": {
            "code": row["service_code"],
            "name_ar": row["service_name_ar"],
            "name_en": row["service_name_en"],
        },
        "family": row["family"],
        "action": row["action"],
        "state": row["state"],
        "details": shown_details(
            row["family"], row["details"], keeps_register(row["family"], row["action"])
        ),
        "fee": None if row["fee_baisa"] is None else format_baisa(row["fee_baisa"]),
        "required_documents": None
        if documents is None
        else [None if d is None else dict(d) for d in documents],
        "licence_number": row["licence_number"],
        "inspection_date": _iso_date(row["inspection_date"]),
        "rejection_reason_ar": row["rejection_reason_ar"],
        "rejection_reason_en": row["rejection_reason_en"],
        "applicant": {"id": row["applicant_id"], "name": row["applicant_name"]},
        "assignee": None
        if assignee_id is None
        else {"id": assignee_id, "name": row["assignee_name"]},
        "submitted_at": _muscat(row["submitted_at"]),
        "created_at": _muscat(row["created_at"]),
        "sla": {
            "target_days": sla.target_days,
            "started_at": _muscat(sla.started_at),
            "due_date": _iso_date(sla.due_date),
            "working_days_used": sla.working_days_used,
            "working_days_left": sla.working_days_left,
            "paused": sla.paused,
            "state": str(sla.state),
            "unit": str(sla.unit),
            "target_minutes": sla.target_minutes,
            "due_at": _muscat(sla.due_at),
            "working_minutes_used": sla.working_minutes_used,
            "working_minutes_left": sla.working_minutes_left,
        },
    }
    if staff:
        item["priority"] = bool(row["priority"])
    return item


def application_detail(
    row: Mapping[str, Any], sla: SlaStatus, events: list[Mapping[str, Any]], *, staff: bool = True
) -> dict[str, Any]:
    """What `ApplicationDetailSchema` dumps, written out for the hot read (`licensing.detail`):
    `application_item`'s answer and the timeline, `events` in order. Keep the two in step:
    tests/licensing/test_application_read.py compares their JSON for varied records, and fails
    on any field one has and the other has not."""
    return {
        **application_item(row, sla, staff=staff),
        "timeline": [
            {
                "at": _muscat(event["at"]),
                "action": event["action"],
                "actor_role": event["actor_role"],
                "from_state": event["from_state"],
                "to_state": event["to_state"],
                "note": event["note"],
            }
            for event in events
        ],
    }


class QueueQuery(Schema):
    state = fields.String(validate=validate.OneOf([s.value for s in State]))
    service = fields.String()
    family = fields.String()
    sla_state = fields.String(validate=validate.OneOf(("at_risk", "breached")))
    assignee = fields.String(
        metadata={"description": "an inspector's id, `me`, or `none`"},
        validate=[validate.Regexp(r"^(me|none|[0-9]{1,10})$"), id_text_in_range],
    )


class GenericApplicationInput(Schema):
    service = fields.String(required=True, validate=validate.Length(min=1, max=40))
    details = fields.Dict(
        load_default=dict, metadata={"description": "Free-form details of the request"}
    )


class ActionInput(Schema):
    note = fields.String(validate=validate.Length(min=1, max=4000))
    reason_ar = fields.String(validate=validate.Length(min=1, max=2000))
    reason_en = fields.String(validate=validate.Length(min=1, max=2000))
    inspection_date = fields.Date()


ACTIONS = sorted(a for a, t in TRANSITIONS.items() if "system" not in t.roles)


class AssignInput(Schema):
    assignee_id = Id(required=True, allow_none=True)


class MessageInput(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class MessageSchema(Schema):
    id = fields.Integer()
    author_role = fields.String()
    body = fields.String()
    created_at = MuscatDateTime()


class DocumentSchema(StoredFileSchema):
    document_code = fields.String()


class LicenceSchema(Schema):
    number = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    service = fields.Nested(ServiceRefSchema)
    family = fields.String()
    holder = fields.Nested(PersonRefSchema)
    details = fields.Function(
        lambda licence: shown_details(licence.family, licence.details),
        metadata={"type": "object", "description": "Amounts as strings with three decimals"},
    )
    valid_from = fields.Date()
    valid_until = fields.Date()
    state = fields.String()
    document_sha256 = fields.String(allow_none=True)
    verification_url = fields.Function(
        lambda licence: verification_url(licence),
        metadata={"description": "The public check printed under the licence's QR code"},
    )


class VerifyQuery(Schema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=80))


class VerificationSchema(Schema):
    valid = fields.Boolean()
    number = fields.String()
    authority = fields.Nested(AuthorityRefSchema)
    service = fields.Nested(ServiceRefSchema)
    valid_from = fields.Date()
    valid_until = fields.Date()
    state = fields.String()


class SlaReportQuery(Schema):
    first = fields.Date(
        data_key="from",
        metadata={"description": "First Muscat date on which a clock started (inclusive)"},
    )
    last = fields.Date(
        data_key="to",
        metadata={"description": "Last Muscat date on which a clock started (inclusive)"},
    )
    service = fields.String(
        validate=validate.Length(min=1, max=60), metadata={"description": "A service code"}
    )
    group_by = GROUP_BY
    format = REPORT_FORMAT


class SlaReportRowSchema(Schema):
    service = fields.Nested(ServiceRefSchema)
    started = fields.Integer(metadata={"description": "Applications whose clock started"})
    decided = fields.Integer(metadata={"description": "Of those, decided (clock stopped)"})
    met = fields.Integer(metadata={"description": "Decided on or before the due date"})
    breached = fields.Integer(
        metadata={"description": "Decided after the due date, or still open past it"}
    )
    on_track = fields.Integer(metadata={"description": "Open, more than one working day left"})
    at_risk = fields.Integer(metadata={"description": "Open, one working day or less left"})
    paused = fields.Integer(
        metadata={
            "description": "Open and waiting on the applicant (also counted as on_track, "
            "at_risk or breached)"
        }
    )
    average_working_days_used = fields.Float(
        allow_none=True, metadata={"description": "Average working days used by the decided ones"}
    )


class SlaReportSchema(Schema):
    as_of = fields.Date(metadata={"description": "The Muscat date the open clocks are counted on"})
    services = fields.List(
        fields.Nested(SlaReportRowSchema),
        metadata={
            "description": "One line per service with at least one started clock, by code: the "
            "whole list, not paginated (it is bounded by the number of services)"
        },
    )
    group_by = fields.String(metadata={"description": "What each line of `rows` is"})
    rows = fields.List(
        fields.Nested(SlaFiguresSchema),
        metadata={
            "description": "The figures per `group_by`, in the group's order (codes; inspectors "
            "by name, the unassigned last; months in time order): the whole list"
        },
    )
