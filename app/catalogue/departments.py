"""Which department of its authority handles a service: the one whose head is escalated to by
default (issue 15) and under which the SLA report groups it.

A seed entry may name its `department` (by code); otherwise its family decides, by the table
below. Support tickets go to IT, every other case service to customer service (`cases.kinds`).
"""

from __future__ import annotations

import sqlalchemy as sa

from app.authorities.models import Department
from app.catalogue.models import ServiceFamily
from app.extensions import db

FAMILY_DEPARTMENTS = {
    ServiceFamily.LEASE: "licensing",
    ServiceFamily.MUNICIPAL_LICENCE: "licensing",
    ServiceFamily.TEMPORARY_LICENCE: "licensing",
    ServiceFamily.CERTIFICATE: "licensing",
    ServiceFamily.INSPECTION: "licensing",
    ServiceFamily.HEALTH_CARD: "health",
    ServiceFamily.VEHICLE_SIGNAGE: "health",
    ServiceFamily.BUILDING_PERMIT: "engineering",
    ServiceFamily.COMPLAINT: "customer_service",
    ServiceFamily.GENERAL: "customer_service",
}


def department_of(authority_id: int, family: ServiceFamily, code: str | None = None) -> Department:
    """The authority's department named `code`, or the family's by the table. LookupError when
    the authority has no such department (the authorities are seeded first)."""
    wanted = code or FAMILY_DEPARTMENTS[ServiceFamily(family)]
    department = db.session.scalar(
        sa.select(Department).where(
            Department.authority_id == authority_id, Department.code == wanted
        )
    )
    if department is None:
        raise LookupError(f"authority {authority_id} has no department {wanted!r}")
    return department
