"""Use cases of accounts: register, change the password, the profile, manage staff.

Logging in, refreshing and logging out are in `app.accounts.sessions`.

The caller's unit of work (`app.uow`: the request, the command) commits; nothing here does.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.accounts import terms
from app.accounts.models import STAFF_ROLES, AccountKind, Role, User
from app.accounts.password_policy import password_problem
from app.accounts.passwords import hash_password, verify_password
from app.accounts.sessions import revoke_sessions
from app.audit import record_change
from app.authorities.models import Department
from app.errors import Conflict, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.notifications.models import Channel
from app.notifications.services import notify

WRONG_PASSWORD = N_("The current password is wrong.")
CONTACT_WORDS = {
    "email": {"what_ar": "البريد الإلكتروني", "what_en": "e-mail address"},
    "phone": {"what_ar": "رقم الهاتف", "what_en": "phone number"},
}
UNIQUE_FIELDS = ("civil_id", "email", "cr_number")
DUPLICATE_MESSAGES = {
    "civil_id": N_("An account with this civil ID number already exists."),
    "email": N_("An account with this e-mail address already exists."),
    "cr_number": N_("An account with this commercial registration number already exists."),
}


def _refuse_duplicates(values: dict[str, Any], exclude_id: int | None = None, scalar=None) -> None:
    """409 naming every field whose value another account already holds (looked up with
    `scalar`, the session's by default)."""
    scalar = scalar or db.session.scalar
    clashes = []
    for field in UNIQUE_FIELDS:
        if values.get(field) is None:
            continue
        query = sa.select(User.id).where(getattr(User, field) == values[field])
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if scalar(query.limit(1)) is not None:
            clashes.append(field)
    if clashes:
        raise Conflict(
            code=f"duplicate_{clashes[0]}",
            detail=DUPLICATE_MESSAGES[clashes[0]],
            extra={"fields": clashes},
        )


def _insert_user(user: User) -> User:
    """Insert, turning a unique-constraint race into the same 409 as the check before it. The
    failed flush leaves the session's transaction for the unit of work to roll back, so the
    clashing fields are looked up on a connection of their own (the other account committed)."""
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        with db.engine.connect() as connection:
            _refuse_duplicates(
                {f: getattr(user, f) for f in UNIQUE_FIELDS}, None, connection.scalar
            )
        raise
    return user


def register_applicant(data: dict[str, Any], language: str) -> User:
    """Create an applicant account: a business when it carries a CR number, else an individual."""
    _refuse_duplicates(data)
    user = User(
        kind=AccountKind.BUSINESS if data.get("cr_number") else AccountKind.INDIVIDUAL,
        role=Role.APPLICANT,
        civil_id=data["civil_id"],
        name=data["name"],
        email=data["email"],
        phone=data["phone"],
        preferred_language=data.get("preferred_language", language),
        cr_number=data.get("cr_number"),
        trade_name=data.get("trade_name"),
        password_hash=hash_password(data["password"]),
    )
    _insert_user(user)
    record_change("account.registered", "user", user.id, authority_id=None, after=audit_view(user))
    terms.accept(user, None, how="registration")  # every authority's current version
    current_app.logger.info("applicant registered", extra={"user_id": user.id})
    return user


def change_password(
    user: User, session_id: uuid.UUID | None, current_password: str, new_password: str
) -> None:
    """Change the caller's password: the current one must match and the new one pass the policy.
    The account's other sessions end (whoever else knew the old password is logged out); this
    one goes on. Audited, without either password."""
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed({"current_password": [WRONG_PASSWORD]})
    problem = password_problem(
        new_password, email=user.email, civil_id=user.civil_id, phone=user.phone
    )
    if problem:
        raise ValidationFailed({"new_password": [problem]})
    user.password_hash = hash_password(new_password)
    revoke_sessions(user.id, keep=session_id)
    record_change(
        "account.password_changed",
        "user",
        user.id,
        authority_id=user.authority_id,
        after={"other_sessions_ended": True},
    )
    current_app.logger.info("password changed", extra={"user_id": user.id})


def update_profile(user: User, data: dict[str, Any]) -> User:
    """Change the caller's own contacts, address and language. A new e-mail or phone needs the
    current password (422 on `current_password` otherwise) and is told to the old one: an
    e-mail to the old address, an SMS to the old number, and in-app."""
    before = audit_view(user)
    changes = {k: v for k, v in data.items() if k in ("phone", "email") and v != getattr(user, k)}
    if changes and not verify_password(user.password_hash, data["current_password"]):
        raise ValidationFailed({"current_password": [WRONG_PASSWORD]})
    if "email" in changes:
        _refuse_duplicates({"email": changes["email"]}, exclude_id=user.id)
    old = {field: getattr(user, field) for field in changes}
    for field in ("phone", "email", "preferred_language", "address"):
        if field in data:
            setattr(user, field, data[field])
    for field, old_address in old.items():
        notify(
            user,
            "contact_changed",
            {**CONTACT_WORDS[field], "new": mask(changes[field])},
            subject=("user", user.id),
            channels=(Channel.EMAIL if field == "email" else Channel.SMS,),
            to_address=old_address,
        )
    after = audit_view(user)
    if "address" in data:
        after["address_changed"] = True  # the audit log keeps no address
    record_change(
        "account.updated",
        "user",
        user.id,
        authority_id=user.authority_id,
        before=before,
        after=after,
    )
    return user


def _department(authority_id: int, code: str) -> Department:
    department = db.session.scalar(
        sa.select(Department).where(
            Department.authority_id == authority_id, Department.code == code
        )
    )
    if department is None:
        raise ValidationFailed({"department": [N_("No such department in your authority.")]})
    return department


def create_staff(admin: User, data: dict[str, Any], language: str = "ar") -> User:
    """An admin adds a member of staff to the admin's own authority."""
    return create_staff_account(admin.authority_id, data, language)


def create_staff_account(authority_id: int, data: dict[str, Any], language: str = "ar") -> User:
    """Create a staff account in `authority_id` (the API, and `flask users create-staff`)."""
    if data["role"] not in {r.value for r in STAFF_ROLES}:
        raise ValidationFailed({"role": [N_("Choose a staff role.")]})
    department = _department(authority_id, data["department"])
    _refuse_duplicates(data)
    user = User(
        kind=AccountKind.STAFF,
        role=Role(data["role"]),
        civil_id=data["civil_id"],
        name=data["name"],
        email=data["email"],
        phone=data["phone"],
        preferred_language=data.get("preferred_language", language),
        password_hash=hash_password(data["password"]),
        authority_id=authority_id,
        department_id=department.id,
    )
    _insert_user(user)
    record_change(
        "staff.created", "user", user.id, authority_id=authority_id, after=audit_view(user)
    )
    return user


def staff_query(admin: User) -> sa.Select:
    return (
        sa.select(User)
        .where(User.authority_id == admin.authority_id, User.role != Role.APPLICANT)
        .order_by(User.id)
    )


def get_staff(admin: User, user_id: int) -> User:
    """A member of staff of the admin's authority; 404 for anyone else."""
    user = db.session.scalar(staff_query(admin).where(User.id == user_id))
    if user is None:
        raise NotFound()
    return user


def update_staff(admin: User, user_id: int, data: dict[str, Any]) -> User:
    """Change a staff member's role, department or active flag; deactivation ends their sessions."""
    user = get_staff(admin, user_id)
    if user.id == admin.id and (
        data.get("is_active") is False or data.get("role", "admin") != "admin"
    ):
        raise Conflict(
            code="cannot_demote_self", detail=N_("Admins cannot deactivate or demote themselves.")
        )
    before = audit_view(user)
    if "role" in data:
        user.role = Role(data["role"])
    if "department" in data:
        user.department_id = _department(admin.authority_id, data["department"]).id
    if "is_active" in data:
        user.is_active = data["is_active"]
        if not user.is_active:
            revoke_sessions(user.id)
    record_change(
        "staff.updated",
        "user",
        user.id,
        authority_id=user.authority_id,
        before=before,
        after=audit_view(user),
    )
    return user


def get_applicant(caller: User, user_id: int) -> User:
    """An applicant's own record. Anyone else's is answered as absent (404), never refused."""
    if caller.role != Role.APPLICANT or caller.id != user_id:
        raise NotFound()
    return caller


def audit_view(user: User) -> dict[str, Any]:
    """What the audit log keeps of an account: no password hash, civil ID masked."""
    return {
        "role": user.role.value,
        "kind": user.kind.value,
        "civil_id": mask(user.civil_id),
        "email": user.email,
        "phone": user.phone,
        "preferred_language": user.preferred_language,
        "department_id": user.department_id,
        "is_active": user.is_active,
    }


def mask(value: str | None, keep: int = 3) -> str | None:
    if not value:
        return value
    return "•" * max(len(value) - keep, 0) + value[-keep:]
