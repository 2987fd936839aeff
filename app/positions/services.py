"""Use cases of positions: an admin lists, creates and changes the positions of the admin's
authority; any other authority's are answered as absent (404).

Written in the caller's unit of work (`app.uow`), which commits; every change is audited with the
values before and after. The rules a position keeps, checked here (the database keeps the rest:
one director per authority, one head per department, the director reporting to none):
- its holder is an active member of staff of the authority;
- it reports to a position of the same authority, and no chain of `reports_to` comes back to it;
- the director has no department and reports to none; a department head and a section manager
  have a department.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, undefer

from app.accounts.models import Role, User
from app.audit import record_change
from app.authorities.models import Department
from app.catalogue.caching import catalogue_changed
from app.errors import NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.positions.models import IN_DEPARTMENT, Position, PositionCode

UNKNOWN_POSITION = N_("There is no position with this id in your authority.")
NO_SUCH_POSITION = N_("No such position in your authority.")
NO_SUCH_DEPARTMENT = N_("No such department in your authority.")
NOT_ACTIVE_STAFF = N_("Choose an active member of your authority's staff.")
KEY_TAKEN = N_("Your authority already has a position with this key.")
ONE_DIRECTOR = N_("Your authority already has a director.")
ONE_HEAD = N_("This department already has a head.")
NEEDS_DEPARTMENT = N_("A department head or a section manager belongs to a department.")
DIRECTOR_ALONE = N_("The director belongs to no department and reports to no one.")
CYCLE = N_("This position would report, through others, to itself.")


def position_query(admin: User, filters: dict[str, Any]) -> sa.Select:
    """The positions of the admin's authority matching `filters` (department code, code,
    unfilled), each with its escalations passed over, in the order they were made."""
    query = (
        sa.select(Position)
        .where(Position.authority_id == admin.authority_id)
        .options(
            joinedload(Position.department),
            joinedload(Position.holder),
            joinedload(Position.reports_to),
            undefer(Position.passed_over),
            undefer(Position.last_passed_over_at),
        )
        .order_by(Position.id)
    )
    if filters.get("department"):
        query = query.where(
            Position.department.has(Department.code == filters["department"].lower())
        )
    if filters.get("code"):
        query = query.where(Position.code == filters["code"])
    if "unfilled" in filters:
        active_holder = Position.holder.has(User.is_active.is_(True))
        query = query.where(sa.not_(active_holder) if filters["unfilled"] else active_holder)
    return query


def get_position(admin: User, position_id: int) -> Position:
    """A position of the admin's authority; 404 for any other."""
    position = db.session.scalar(position_query(admin, {}).where(Position.id == position_id))
    if position is None:
        raise NotFound(detail=UNKNOWN_POSITION)
    return position


def create_position(admin: User, data: dict[str, Any]) -> Position:
    """An admin adds a position to the admin's authority. Without `reports_to`, a section
    manager reports to its department's head (if there is one) and the others but the director
    to the director."""
    code = PositionCode(data["code"])
    department = _check_new(admin, code, data)
    position = Position(
        authority_id=admin.authority_id,
        department=department,
        key=data["key"],
        code=code,
        name_ar=data["name_ar"],
        name_en=data["name_en"],
    )
    position.holder = _holder(admin, data.get("holder"))
    if data.get("reports_to") is not None:
        position.reports_to = _reports_to(admin, None, data["reports_to"])
    elif code is not PositionCode.DIRECTOR:
        position.reports_to = _default_reports_to(admin, code, department)
    db.session.add(position)
    db.session.flush()
    record_change(
        "position.created",
        "position",
        position.id,
        authority_id=position.authority_id,
        after=audit_view(position),
    )
    return get_position(admin, position.id)


def update_position(admin: User, position_id: int, data: dict[str, Any]) -> Position:
    """An admin renames a position of the admin's authority, gives it a holder or vacates it
    (`holder: None`), or changes whom it reports to (`reports_to: None`: to no one, so an
    escalation it cannot take goes to the director)."""
    position = db.session.scalar(
        sa.select(Position)
        .where(Position.id == position_id, Position.authority_id == admin.authority_id)
        .with_for_update()
    )
    if position is None:
        raise NotFound(detail=UNKNOWN_POSITION)
    before = audit_view(position)
    if "holder" in data:
        position.holder = _holder(admin, data["holder"])
    if "reports_to" in data:
        if position.code is PositionCode.DIRECTOR and data["reports_to"] is not None:
            raise ValidationFailed({"reports_to": [DIRECTOR_ALONE]})
        position.reports_to = (
            None if data["reports_to"] is None else _reports_to(admin, position, data["reports_to"])
        )
    for field in ("name_ar", "name_en"):
        if field in data:
            setattr(position, field, data[field])
    after = audit_view(position)
    if after != before:
        record_change(
            "position.updated",
            "position",
            position.id,
            authority_id=position.authority_id,
            before=before,
            after=after,
        )
        if before["name_ar"] != after["name_ar"] or before["name_en"] != after["name_en"]:
            catalogue_changed()  # the catalogue shows each service's position by name
    db.session.flush()
    db.session.expire(position)
    return get_position(admin, position.id)


def _check_new(admin: User, code: PositionCode, data: dict[str, Any]) -> Department | None:
    """The department of a new position, once its key, code and department are found to keep
    the rules; 422 naming each field that does not."""
    errors: dict[str, list[str]] = {}
    department = None
    if data.get("department"):
        department = db.session.scalar(
            sa.select(Department).where(
                Department.authority_id == admin.authority_id,
                Department.code == data["department"].lower(),
            )
        )
        if department is None:
            errors["department"] = [NO_SUCH_DEPARTMENT]
    if _exists(admin, Position.key == data["key"]):
        errors["key"] = [KEY_TAKEN]
    if code is PositionCode.DIRECTOR:
        if data.get("department") or data.get("reports_to"):
            errors["code"] = [DIRECTOR_ALONE]
        elif _exists(admin, Position.code == PositionCode.DIRECTOR):
            errors["code"] = [ONE_DIRECTOR]
    elif code in IN_DEPARTMENT and not data.get("department"):
        errors["department"] = [NEEDS_DEPARTMENT]
    elif (
        code is PositionCode.DEPARTMENT_HEAD
        and department is not None
        and _exists(admin, Position.code == code, Position.department_id == department.id)
    ):
        errors["department"] = [ONE_HEAD]
    if errors:
        raise ValidationFailed(errors)
    return department


def audit_view(position: Position) -> dict[str, Any]:
    """What the audit log keeps of a position."""
    return {
        "key": position.key,
        "code": position.code.value,
        "department_id": position.department_id,
        "name_ar": position.name_ar,
        "name_en": position.name_en,
        "holder_id": position.holder.id if position.holder else None,
        "reports_to_id": position.reports_to.id if position.reports_to else None,
    }


def _exists(admin: User, *conditions) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.literal(True)).where(
                Position.authority_id == admin.authority_id, *conditions
            )
        )
    )


def _holder(admin: User, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = db.session.scalar(
        sa.select(User).where(
            User.id == user_id,
            User.authority_id == admin.authority_id,
            User.role != Role.APPLICANT,
            User.is_active.is_(True),
        )
    )
    if user is None:
        raise ValidationFailed({"holder": [NOT_ACTIVE_STAFF]})
    return user


def _reports_to(admin: User, position: Position | None, target_id: int) -> Position:
    """The position `target_id` of the admin's authority, checked to lead back to `position`
    by no chain (the authority's positions are read once: tens of rows)."""
    up = dict(
        db.session.execute(
            sa.select(Position.id, Position.reports_to_id).where(
                Position.authority_id == admin.authority_id
            )
        ).all()
    )
    if target_id not in up:
        raise ValidationFailed({"reports_to": [NO_SUCH_POSITION]})
    seen, current = set(), target_id
    while current is not None and current not in seen:
        if position is not None and current == position.id:
            raise ValidationFailed({"reports_to": [CYCLE]})
        seen.add(current)
        current = up.get(current)
    return db.session.get(Position, target_id)


def _default_reports_to(
    admin: User, code: PositionCode, department: Department | None
) -> Position | None:
    wanted = [Position.code == PositionCode.DIRECTOR]
    if code is PositionCode.SECTION_MANAGER and department is not None:
        head = db.session.scalar(
            sa.select(Position).where(
                Position.authority_id == admin.authority_id,
                Position.code == PositionCode.DEPARTMENT_HEAD,
                Position.department_id == department.id,
            )
        )
        if head is not None:
            return head
    return db.session.scalar(
        sa.select(Position).where(Position.authority_id == admin.authority_id, *wanted)
    )
