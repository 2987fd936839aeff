"""Use cases of the catalogue: list and find services; an admin changes one.

`update_service` writes in the caller's unit of work (`app.uow`), which commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.audit import record_change
from app.authorities.models import Authority
from app.catalogue.caching import catalogue_changed
from app.catalogue.models import ESCALATION_CHANNELS, RequiredDocument, Service
from app.catalogue.search import normalise_arabic
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.positions.models import Position
from app.sla import SlaUnit
from app.timeutil import utcnow

ESCALATION_NEEDS_ROLE = N_("Say whom escalations go to (escalate_to) when setting escalation days.")
UNKNOWN_SERVICE = N_("There is no service with this code.")
NO_SUCH_POSITION = N_("No such position in your authority.")
DAYS_NEED_DAY_UNIT = N_("A target in days goes with sla_unit working_days.")
MINUTES_NEED_MINUTE_UNIT = N_("A target in minutes goes with sla_unit working_minutes.")
UNIT_NEEDS_ITS_TARGET = N_("Give the target in this unit: sla_days or sla_minutes.")


def _with_details(query: sa.Select) -> sa.Select:
    return query.options(
        selectinload(Service.authority),
        joinedload(Service.department),
        joinedload(Service.escalation_position),
        joinedload(Service.department_head_position),
        selectinload(Service.required_documents),
    )


def service_query(filters: dict[str, Any]) -> sa.Select:
    """Services matching `filters` (authority code, family, action, q, active), in seed order.

    Each word of `q` must appear in the Arabic or the English name, both in search form
    (`normalise_arabic`), so spelling variants and diacritics do not matter.
    """
    query = sa.select(Service).where(Service.is_active == filters.get("active", True))
    if filters.get("authority"):
        query = query.where(Service.authority.has(Authority.code == filters["authority"].upper()))
    for field in ("family", "action"):
        if filters.get(field):
            query = query.where(getattr(Service, field) == filters[field])
    words = normalise_arabic(filters.get("q") or "").split()
    for word in words:
        query = query.where(
            sa.or_(
                Service.search_ar.contains(word, autoescape=True),
                Service.search_en.contains(word, autoescape=True),
            )
        )
    return _with_details(query.order_by(Service.id))


def get_service(code: str) -> Service:
    """The service with `code`, active or not; 404 when there is none."""
    service = db.session.scalar(
        _with_details(sa.select(Service)).where(Service.code == code.upper())
    )
    if service is None:
        raise NotFound(detail=UNKNOWN_SERVICE)
    return service


def update_service(admin: User, code: str, data: dict[str, Any]) -> Service:
    """An admin changes a service of the admin's own authority (404 for any other).

    `fee_baisa` must be an amount every gateway the authority offers can charge (Stripe: a
    multiple of 10), and setting it marks the fee as confirmed; a new target (`sla_days`,
    `sla_minutes`, or `sla_unit` "none": no target) clears the notes on the seeded target;
    `required_documents` replaces the whole list (`_target` says how the target's fields
    combine). The change is
    audited with the values before and after, and applies to applications submitted from now on.
    A change gives the catalogue a new version, hence new ETags (`app.catalogue.caching`).
    """
    service = db.session.scalar(
        sa.select(Service)
        .where(Service.code == code.upper(), Service.authority_id == admin.authority_id)
        .with_for_update()
    )
    if service is None:
        raise NotFound(detail=UNKNOWN_SERVICE)
    _check(service, data)
    before = audit_view(service)
    if "fee_baisa" in data:
        service.fee_baisa = data["fee_baisa"]
        service.fee_is_placeholder = False
    target = _target(service, data)
    if target != (service.sla_unit, service.sla_days, service.sla_minutes):
        # The notes explain where a seeded target came from; an admin's target replaces it.
        service.sla_unit, service.sla_days, service.sla_minutes = target
        service.sla_note_ar, service.sla_note_en = None, None
    for field in ("escalation_days", "escalate_to", "is_active", "director_escalation_days"):
        if field in data:
            setattr(service, field, data[field])
    if "escalation_position_id" in data:
        position_id = data["escalation_position_id"]
        service.escalation_position_id = position_id
        service.escalation_position = db.session.get(Position, position_id) if position_id else None
    if "escalation_channels" in data:
        chosen = set(data["escalation_channels"])
        service.escalation_channels = [c for c in ESCALATION_CHANNELS if c in chosen]
    if "required_documents" in data:
        _replace_documents(service, data["required_documents"])
    after = audit_view(service)
    if after != before:
        service.updated_at = utcnow()
        record_change(
            "service.updated",
            "service",
            service.code,
            authority_id=service.authority_id,
            before=before,
            after=after,
        )
        catalogue_changed()
    return service


def _target(service: Service, data: dict[str, Any]) -> tuple[str, int, int | None]:
    """The service's target after the change, as (unit, days, minutes): `sla_days` alone sets a
    day target, `sla_minutes` alone a minute target, `sla_unit` "none" clears the target (with
    neither); `sla_unit` with its own figure switches the unit. Raises ValidationFailed for a
    figure of the other unit, or a unit switched to without its figure."""
    days, minutes = data.get("sla_days"), data.get("sla_minutes")
    unit = data.get("sla_unit")
    if unit is None:
        if days is not None and minutes is not None:
            raise ValidationFailed({"sla_minutes": [DAYS_NEED_DAY_UNIT]})
        unit = (
            SlaUnit.WORKING_DAYS
            if days is not None
            else SlaUnit.WORKING_MINUTES
            if minutes is not None
            else service.sla_unit
        )
    errors: dict[str, list[str]] = {}
    if days is not None and unit != SlaUnit.WORKING_DAYS:
        errors["sla_days"] = [DAYS_NEED_DAY_UNIT]
    if minutes is not None and unit != SlaUnit.WORKING_MINUTES:
        errors["sla_minutes"] = [MINUTES_NEED_MINUTE_UNIT]
    if errors:
        raise ValidationFailed(errors)
    if unit == SlaUnit.WORKING_DAYS:
        days = days if days is not None else service.sla_days
        if service.sla_unit != SlaUnit.WORKING_DAYS and "sla_days" not in data:
            raise ValidationFailed({"sla_days": [UNIT_NEEDS_ITS_TARGET]})
        return SlaUnit.WORKING_DAYS.value, days, None
    if unit == SlaUnit.WORKING_MINUTES:
        minutes = minutes if minutes is not None else service.sla_minutes
        if minutes is None:
            raise ValidationFailed({"sla_minutes": [UNIT_NEEDS_ITS_TARGET]})
        return SlaUnit.WORKING_MINUTES.value, 0, minutes
    return SlaUnit.NONE.value, 0, None


def _check(service: Service, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    fee = data.get("fee_baisa")
    # The gateways the authority offers decide what they can charge (Stripe: OMR amounts ending
    # in 0); the payments package gives the check (`payments.gateways.init_app`).
    if fee is not None and (
        problem := current_app.extensions["fee_problem"](service.authority.code, fee)
    ):
        errors["fee"] = [problem]
    escalation_days = data.get("escalation_days", service.escalation_days)
    if escalation_days is not None and data.get("escalate_to", service.escalate_to) is None:
        errors["escalate_to"] = [ESCALATION_NEEDS_ROLE]
    position_id = data.get("escalation_position_id")
    if position_id is not None and not db.session.scalar(
        sa.select(sa.literal(True)).where(
            Position.id == position_id, Position.authority_id == service.authority_id
        )
    ):
        errors["escalation_position"] = [NO_SUCH_POSITION]
    if errors:
        raise ValidationFailed(errors)


def _replace_documents(service: Service, documents: list[dict[str, Any]]) -> None:
    """Keep the rows of codes still listed (updated in place), add new ones, drop the rest."""
    existing = {d.code: d for d in service.required_documents}
    replacement = []
    for position, item in enumerate(documents):
        document = existing.get(item["code"]) or RequiredDocument(code=item["code"])
        document.name_ar, document.name_en = item["name_ar"], item["name_en"]
        document.mandatory, document.position = item["mandatory"], position
        replacement.append(document)
    service.required_documents = replacement


def audit_view(service: Service) -> dict[str, Any]:
    """What the audit log keeps of a service: everything an admin may change."""
    return {
        "fee_baisa": service.fee_baisa,
        "fee_is_placeholder": service.fee_is_placeholder,
        "sla_days": service.sla_days,
        "sla_unit": service.sla_unit,
        "sla_minutes": service.sla_minutes,
        "sla_note_en": service.sla_note_en,
        "escalation_days": service.escalation_days,
        "escalate_to": service.escalate_to,
        "escalation_position_id": service.escalation_position_id,
        "escalation_channels": list(service.escalation_channels),
        "director_escalation_days": service.director_escalation_days,
        "is_active": service.is_active,
        "required_documents": [
            {"code": d.code, "name_ar": d.name_ar, "name_en": d.name_en, "mandatory": d.mandatory}
            for d in service.required_documents
        ],
    }
