"""The kinds of case, where each is routed, and the words a case is described with."""

from __future__ import annotations

import enum

import sqlalchemy as sa

from app.authorities.models import Department
from app.catalogue.models import Service
from app.errors import ValidationFailed
from app.extensions import db
from app.i18n import N_


class Kind(enum.StrEnum):
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"
    COMMENT = "comment"
    INQUIRY = "inquiry"
    TICKET = "ticket"  # a support ticket or a fault report


class Channel(enum.StrEnum):
    """How the case reached the authority (staff intake records the others)."""

    PORTAL = "portal"
    PHONE = "phone"
    COUNTER = "counter"
    EMAIL = "email"
    NATIONAL_PLATFORM = "national_platform"  # Tajawob
    OPEN311 = "open311"  # a civic app, through the GeoReport v2 API (cases.open311)


class Classification(enum.StrEnum):
    CONFIDENTIAL = "confidential"  # the default: the complaint's data is its complainant's
    INTERNAL = "internal"
    PUBLIC = "public"


class Decision(enum.StrEnum):
    """What the authority decided on a suggestion or a comment."""

    ACCEPTED = "accepted"
    ACCEPTED_IN_PART = "accepted_in_part"
    DECLINED = "declined"
    NOTED = "noted"


# The catalogue service each kind runs on, per authority: `<AUTHORITY>-<SUFFIX>`. A comment runs
# on the suggestion service (the e-participation policy treats them alike).
SERVICE_SUFFIX = {
    Kind.COMPLAINT: "COMPLAINT",
    Kind.SUGGESTION: "SUGGESTION",
    Kind.COMMENT: "SUGGESTION",
    Kind.INQUIRY: "INQUIRY",
    Kind.TICKET: "TICKET",
}
# Where a new case goes: support tickets to IT (North Al Batinah's charter: its IT department
# answers technical support), everything else to customer service, who may reassign it.
DEPARTMENT_OF = {Kind.TICKET: "it"}
DEFAULT_DEPARTMENT = "customer_service"
PUBLISHABLE = frozenset({Kind.SUGGESTION, Kind.COMMENT})
NO_SERVICE = N_("This authority does not take this kind of request.")
NO_DEPARTMENT = N_("The authority has no such department.")


def service_code(authority_code: str, kind: Kind) -> str:
    return f"{authority_code}-{SERVICE_SUFFIX[kind]}"


def service_for(authority_id: int, authority_code: str, kind: Kind) -> Service:
    """The active catalogue service `kind` runs on in the authority (422 `authority` if none)."""
    service = db.session.scalar(
        sa.select(Service).where(
            Service.authority_id == authority_id,
            Service.code == service_code(authority_code, kind),
            Service.is_active,
        )
    )
    if service is None:
        raise ValidationFailed({"authority": [NO_SERVICE]})
    return service


def department(authority_id: int, code: str, field: str = "department") -> Department:
    found = db.session.scalar(
        sa.select(Department).where(
            Department.authority_id == authority_id, Department.code == code
        )
    )
    if found is None:
        raise ValidationFailed({field: [NO_DEPARTMENT]})
    return found


def default_department(authority_id: int, kind: Kind) -> Department:
    return department(authority_id, DEPARTMENT_OF.get(kind, DEFAULT_DEPARTMENT))
