"""The hot read, `GET /api/v1/applications/{id}`: one application with everything its answer
shows, read with one Core query, and the answer built as a plain dict.

The ORM way sent six statements (the application, then its authority, service, timeline and the
calendar's overrides lazily, while marshmallow walked the objects) and spent about half of the
request's time in marshmallow. Here one SELECT joins the application to its authority (with the
authority's calendar version, so the calendar kept in memory is checked without a statement of
its own), service, applicant, assignee, licence and timeline events (one row per event), and
`licensing.schemas.application_detail` writes what `ApplicationDetailSchema` would: the same
JSON, byte for byte (tests/licensing/test_application_read.py compares the two for varied
records). The schema stays the OpenAPI description of the answer and the serialiser of every
other route that shows an application.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from app.access import role_on_record
from app.accounts.models import User
from app.authorities.models import Authority
from app.calendar.services import calendar_for
from app.catalogue.models import Service
from app.errors import NotFound
from app.extensions import db
from app.sla import SlaClock, SlaStatus, SlaUnit
from app.timeutil import utcnow
from licensing.models import Application, ApplicationEvent, Licence
from licensing.schemas import application_detail

_applications = Application.__table__
_authorities = Authority.__table__
_services = Service.__table__
_events = ApplicationEvent.__table__
_licences = Licence.__table__
_applicant = User.__table__.alias("applicant")
_assignee = User.__table__.alias("assignee")

APPLICATION_COLUMNS = (
    "id",
    "reference",
    "authority_id",
    "applicant_id",
    "assignee_id",
    "family",
    "action",
    "state",
    "details",
    "fee_baisa",
    "required_documents",
    "inspection_date",
    "rejection_reason_ar",
    "rejection_reason_en",
    "submitted_at",
    "created_at",
    "sla_target_days",
    "sla_started_at",
    "sla_paused_at",
    "sla_paused_days",
    "sla_stopped_at",
    "sla_unit",
    "sla_target_minutes",
    "sla_paused_minutes",
    "priority",
)
EVENT_COLUMNS = ("at", "action", "actor_role", "from_state", "to_state", "note")

# What an application's answer shows of its references (the authority with its calendar version,
# so the calendar kept in memory is checked without a statement of its own; service, applicant,
# assignee, licence), and the joins that read them. The lists' pages read the same
# (licensing.listing).
REFERENCE_COLUMNS = (
    _authorities.c.code.label("authority_code"),
    _authorities.c.name_ar.label("authority_name_ar"),
    _authorities.c.name_en.label("authority_name_en"),
    _authorities.c.calendar_version,
    _services.c.code.label("service_code"),
    _services.c.name_ar.label("service_name_ar"),
    _services.c.name_en.label("service_name_en"),
    _applicant.c.name.label("applicant_name"),
    _assignee.c.name.label("assignee_name"),
    _licences.c.number.label("licence_number"),
)


def with_references(applications: sa.FromClause) -> sa.Join:
    """`applications` (the table, or a subquery of its rows with its column names) joined to the
    references of `REFERENCE_COLUMNS`."""
    return (
        applications.join(_authorities, _authorities.c.id == applications.c.authority_id)
        .join(_services, _services.c.id == applications.c.service_id)
        .join(_applicant, _applicant.c.id == applications.c.applicant_id)
        .outerjoin(_assignee, _assignee.c.id == applications.c.assignee_id)
        .outerjoin(_licences, _licences.c.id == applications.c.licence_id)
    )


# Built once: SQLAlchemy then finds the compiled form in its cache by the statement's identity.
_DETAIL = (
    sa.select(
        *(_applications.c[name] for name in APPLICATION_COLUMNS),
        *REFERENCE_COLUMNS,
        _events.c.id.label("event_id"),
        *(_events.c[name].label(f"event_{name}") for name in EVENT_COLUMNS),
    )
    .select_from(
        with_references(_applications).outerjoin(
            _events, _events.c.application_id == _applications.c.id
        )
    )
    .where(_applications.c.id == sa.bindparam("application_id"))
    .order_by(_events.c.id)
)


def application_detail_of(actor: User, application_id: int) -> dict[str, Any]:
    """The application as `ApplicationDetailSchema` shows it, if the caller may see it (its
    applicant, or staff of its authority); else 404, as `services.get_application`."""
    rows = (
        db.session.connection()
        .execute(_DETAIL, {"application_id": application_id})
        .mappings()
        .all()
    )
    if not rows:
        raise NotFound()
    first = rows[0]
    role = role_on_record(actor, first["applicant_id"], first["authority_id"])
    events = [
        {name: row[f"event_{name}"] for name in EVENT_COLUMNS}
        for row in rows
        if row["event_id"] is not None
    ]
    staff = role != "applicant"
    return application_detail(first, sla_status_of(first, utcnow()), events, staff=staff)


def sla_status_of(row: Mapping[str, Any], now: dt.datetime) -> SlaStatus:
    """Where the clock of an application read with `APPLICATION_COLUMNS` and `REFERENCE_COLUMNS`
    stands at `now`, on its authority's calendar (kept in memory under the row's version)."""
    clock = SlaClock(
        row["sla_target_days"],
        row["sla_started_at"],
        row["sla_paused_at"],
        row["sla_paused_days"] or 0,
        row["sla_stopped_at"],
        SlaUnit(row["sla_unit"]),
        row["sla_target_minutes"],
        row["sla_paused_minutes"] or 0,
    )
    return clock.status(calendar_for(row["authority_id"], row["calendar_version"]), now)
