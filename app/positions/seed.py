"""The positions every installation starts with; run by `flask seed` and the tests' seed
(`app.seed.seed_reference_data`), before the catalogue, whose new services name them.

Per authority its director; per department its head (held by the department's one active
department head, if it has exactly one, when the position is created); and the positions Al
Buraimi's agreement names per service (`escalate_to_role_ar/en` in
`app/catalogue/seed_data/al_buraimi.json`), unfilled until an admin fills them:

- "Director of the Governor's Office" and "Director of the Wali's Office": the whole
  authority's (`governor_office_director`, `wali_office_director`), reporting to the director;
- "Manager of the Training Section" and "Manager of the Winter Camps Section": section managers
  in the department of their service, reporting to its head;
- "Head of the section": the text names no section, so one section manager per department
  of the services that name it ("Head of the section (Licensing Department)").

Positions are found again by their `key`: a re-seed creates what is missing and changes nothing
an admin set (names, holder, reports_to).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.authorities.models import Authority, Department
from app.catalogue.departments import department_of
from app.catalogue.models import ServiceFamily
from app.extensions import db
from app.positions.models import Position, PositionCode

SEED_DATA = Path(__file__).resolve().parent.parent / "catalogue" / "seed_data"
NAMED_IN = ("al_buraimi.json",)
DIRECTOR_KEY = "director"

# The seed's escalate_to_role_en -> (key, code, in the service's department?)
NAMED_POSITIONS = {
    "Director of the Governor's Office": (
        "governor_office_director",
        PositionCode.GOVERNOR_OFFICE_DIRECTOR,
        False,
    ),
    "Director of the Wali's Office": (
        "wali_office_director",
        PositionCode.WALI_OFFICE_DIRECTOR,
        False,
    ),
    "Manager of the Training Section": ("training_section", PositionCode.SECTION_MANAGER, True),
    "Manager of the Winter Camps Section": (
        "winter_camps_section",
        PositionCode.SECTION_MANAGER,
        True,
    ),
    "Head of the section": ("section_head", PositionCode.SECTION_MANAGER, True),
}
# The seed's channel names -> ours (app.catalogue.models.ESCALATION_CHANNELS).
SEED_CHANNELS = {"system": "in_app", "email": "email", "sms": "sms"}


def department_head_key(department: Department) -> str:
    return f"department_head:{department.code}"


def seed_positions() -> list[Position]:
    """Create the missing seeded positions of every authority; safe to run again. The
    authorities must be seeded first; the caller commits."""
    existing = {(p.authority_id, p.key): p for p in db.session.scalars(sa.select(Position))}
    seeded = []
    for authority in db.session.scalars(sa.select(Authority).order_by(Authority.id)):
        director = _ensure(existing, authority, None, DIRECTOR_KEY, PositionCode.DIRECTOR, None)
        director.name_ar = director.name_ar or f"مدير {authority.name_ar}"
        director.name_en = director.name_en or f"Director of {authority.name_en}"
        seeded.append(director)
        for department in authority.departments:
            seeded.append(_department_head(existing, authority, department, director))
    for authority, department, entry in _named_entries():
        seeded.append(_named(existing, authority, department, entry))
    db.session.flush()
    return seeded


def escalation_position_of(authority_id: int, entry: dict[str, Any]) -> int | None:
    """The id of the seeded position a catalogue seed entry escalates to, None for its
    department's head (the default). `seed_positions` has made it."""
    spec = NAMED_POSITIONS.get(entry.get("escalate_to_role_en") or "")
    if spec is None:
        return None
    key = _named_key(spec, department_of(authority_id, entry["family"], entry.get("department")))
    return db.session.scalar(
        sa.select(Position.id).where(Position.authority_id == authority_id, Position.key == key)
    )


def escalation_channels_of(entry: dict[str, Any]) -> list[str] | None:
    """The channels a catalogue seed entry names, ours in our order; None when it names none
    (the service keeps the default: all three)."""
    named = entry.get("escalation_channels")
    if not named:
        return None
    ours = {SEED_CHANNELS[c] for c in named}
    return [c for c in SEED_CHANNELS.values() if c in ours]


def _ensure(
    existing: dict[tuple[int, str], Position],
    authority: Authority,
    department: Department | None,
    key: str,
    code: PositionCode,
    reports_to: Position | None,
) -> Position:
    position = existing.get((authority.id, key))
    if position is None:
        position = Position(
            authority=authority,
            department=department,
            key=key,
            code=code,
            name_ar="",
            name_en="",
            reports_to=reports_to,
        )
        db.session.add(position)
        db.session.flush()
        existing[(authority.id, key)] = position
    return position


def _department_head(existing, authority, department, director) -> Position:
    key = department_head_key(department)
    new = (authority.id, key) not in existing
    head = _ensure(existing, authority, department, key, PositionCode.DEPARTMENT_HEAD, director)
    if new:
        head.name_ar, head.name_en = (
            f"مدير {department.name_ar}",
            f"Head of the {department.name_en}",
        )
        heads = db.session.scalars(
            sa.select(User.id).where(
                User.department_id == department.id,
                User.role == Role.DEPARTMENT_HEAD,
                User.is_active.is_(True),
            )
        ).all()
        head.holder_id = heads[0] if len(heads) == 1 else None
    return head


def _named_entries() -> Iterator[tuple[Authority, Department, dict[str, Any]]]:
    for name in NAMED_IN:
        data = json.loads((SEED_DATA / name).read_text(encoding="utf-8"))
        authority = db.session.scalar(
            sa.select(Authority).where(Authority.code == data["authority"]["code"])
        )
        if authority is None:
            raise LookupError(f"authority {data['authority']['code']} is not seeded")
        for entry in data["services"]:
            if entry.get("escalate_to_role_en"):
                family = ServiceFamily(entry["family"])
                yield authority, department_of(authority.id, family, entry.get("department")), entry


def _named_key(spec: tuple[str, PositionCode, bool], department: Department) -> str:
    key, _, in_department = spec
    return f"{key}:{department.code}" if key == "section_head" else key


def _named(existing, authority: Authority, department: Department, entry) -> Position:
    spec = NAMED_POSITIONS[entry["escalate_to_role_en"]]
    key, code, in_department = _named_key(spec, department), spec[1], spec[2]
    new = (authority.id, key) not in existing
    if in_department:
        up = existing[(authority.id, department_head_key(department))]
    else:
        up = existing[(authority.id, DIRECTOR_KEY)]
    position = _ensure(existing, authority, department if in_department else None, key, code, up)
    if new:
        position.name_ar, position.name_en = (
            entry["escalate_to_role_ar"],
            entry["escalate_to_role_en"],
        )
        if spec[0] == "section_head":
            position.name_ar += f" ({department.name_ar})"
            position.name_en += f" ({department.name_en})"
    return position
