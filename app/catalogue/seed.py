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
from app.sla import SlaUnit

SEED_DATA = Path(__file__).resolve().parent / "seed_data"
SEED_FILES = ("north_al_batinah.json", "al_buraimi.json", "energy_minerals.json")
TEXTS = ("name_ar", "name_en", "description_ar", "description_en")

# Appended to the seed's note where the text gives no fixed time (sla_days null in the JSON):
# such a service has no target (sla_unit "none", escalation only). Until migration 0031 they got
# the procedural target (6 working days) as a placeholder, and were overdue before their 7- or
# 10-day escalation fired.
NO_TARGET_NOTE_AR = "؛ لا يوجد وقت مستهدف منشور: يُصعَّد الطلب بعد {days} أيام عمل دون إجراء."
NO_TARGET_NOTE_EN = (
    " No target time is published: the request is escalated after {days} working days "
    "without action."
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
        for entry in data["services"]:
            service = existing.get(entry["code"])
            if service is None:
                service = _new_service(authority, entry)
                db.session.add(service)
            for field in TEXTS:
                setattr(service, field, entry[field])
            seeded.append(service)
    db.session.flush()
    return seeded


def _new_service(authority: Authority, entry: dict[str, Any]) -> Service:
    sla_days, unit = entry["sla_days"], SlaUnit.WORKING_DAYS
    note_ar, note_en = entry.get("sla_note_ar"), entry.get("sla_note_en")
    if sla_days is None:
        escalation = entry.get("escalation_days")
        if escalation is None:
            raise ValueError(f"{entry['code']}: no target and no escalation: nothing would act")
        sla_days, unit = 0, SlaUnit.NONE
        note_ar = (note_ar or "").rstrip(".") + NO_TARGET_NOTE_AR.format(days=escalation)
        note_en = (note_en or "").strip() + NO_TARGET_NOTE_EN.format(days=escalation)
    if entry["fee_baisa"] % 10:
        raise ValueError(f"{entry['code']}: a fee in baisa must end in 0")
    return Service(
        code=entry["code"],
        authority=authority,
        department=department_of(authority.id, entry["family"], entry.get("department")),
        family=ServiceFamily(entry["family"]),
        action=ServiceAction(entry["action"]),
        sla_days=sla_days,
        sla_unit=unit.value,
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
