"""The catalogue every installation starts with, from the JSON files in `seed_data/`.

Services are matched by `code`. A missing service is created with everything the seed says;
a service already there only gets its names and descriptions updated, so that fees, targets,
escalations and documents set by an admin survive a re-seed. See `seed_data/README.md`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.authorities.models import Authority
from app.catalogue.departments import department_of
from app.catalogue.models import (
    ESCALATION_CHANNELS,
    RequiredDocument,
    Service,
    ServiceAction,
    ServiceFamily,
)
from app.extensions import db
from app.positions.seed import escalation_channels_of, escalation_position_of

SEED_DATA = Path(__file__).resolve().parent / "seed_data"
SEED_FILES = ("north_al_batinah.json", "al_buraimi.json", "energy_minerals.json")
TEXTS = ("name_ar", "name_en", "description_ar", "description_en")
PROCEDURAL = "procedural"

# Appended to the seed's note where the text gives no fixed time (sla_days null in the JSON).
DEFAULT_TARGET_NOTE_AR = (
    "؛ وإلى أن يُعلن وقت محدد يُطبَّق الوقت المستهدف للخدمات الإجرائية: {days} أيام عمل."
)
DEFAULT_TARGET_NOTE_EN = (
    " Until a fixed time is published, the target for procedural requests applies: "
    "{days} working days."
)


def seed_catalogue() -> list[Service]:
    """Create the missing seeded services and refresh the texts of the others; safe to run
    again. The authorities must be seeded first; the caller commits."""
    existing = {s.code: s for s in db.session.scalars(sa.select(Service))}
    seeded = []
    for name in SEED_FILES:
        data = json.loads((SEED_DATA / name).read_text(encoding="utf-8"))
        authority = db.session.scalar(
            sa.select(Authority).where(Authority.code == data["authority"]["code"])
        )
        if authority is None:
            raise LookupError(f"authority {data['authority']['code']} is not seeded")
        default_days = _procedural_target(data)
        for entry in data["services"]:
            service = existing.get(entry["code"])
            if service is None:
                service = _new_service(authority, entry, default_days)
                db.session.add(service)
            for field in TEXTS:
                setattr(service, field, entry[field])
            seeded.append(service)
    db.session.flush()
    return seeded


def _procedural_target(data: dict[str, Any]) -> int | None:
    """The authority's published target for procedural requests, if it publishes one."""
    for target in data.get("request_type_targets", []):
        if target["code"] == PROCEDURAL:
            return target["sla_days"]
    return None


def _new_service(authority: Authority, entry: dict[str, Any], default_days: int | None) -> Service:
    sla_days = entry["sla_days"]
    note_ar, note_en = entry.get("sla_note_ar"), entry.get("sla_note_en")
    if sla_days is None:
        if default_days is None:
            raise ValueError(f"{entry['code']}: no target and no procedural target to fall back on")
        sla_days = default_days
        note_ar = (note_ar or "").rstrip(".") + DEFAULT_TARGET_NOTE_AR.format(days=default_days)
        note_en = (note_en or "").strip() + DEFAULT_TARGET_NOTE_EN.format(days=default_days)
    if entry["fee_baisa"] % 10:
        raise ValueError(f"{entry['code']}: a fee in baisa must end in 0")
    return Service(
        code=entry["code"],
        authority=authority,
        department=department_of(authority.id, entry["family"], entry.get("department")),
        family=ServiceFamily(entry["family"]),
        action=ServiceAction(entry["action"]),
        sla_days=sla_days,
        sla_note_ar=note_ar,
        sla_note_en=note_en,
        escalation_days=entry.get("escalation_days"),
        escalate_to=entry.get("escalate_to"),
        # The position the seed names (app.positions.seed, seeded first) and its channels;
        # none named: the department's head, by every channel.
        escalation_position_id=escalation_position_of(authority.id, entry),
        escalation_channels=escalation_channels_of(entry) or list(ESCALATION_CHANNELS),
        fee_baisa=entry["fee_baisa"],
        fee_is_placeholder=entry["fee_is_placeholder"],
        is_active=True,
        required_documents=[
            RequiredDocument(
                code=d["code"],
                name_ar=d["name_ar"],
                name_en=d["name_en"],
                mandatory=d["mandatory"],
                position=position,
            )
            for position, d in enumerate(entry["required_documents"])
        ],
    )
