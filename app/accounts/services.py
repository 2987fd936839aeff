"""Use cases of accounts: register, log in, refresh, log out, manage staff.

Each function owns its transaction and commits once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext

from app.accounts.models import STAFF_ROLES, AccountKind, AuthSession, Role, User
from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.accounts.tokens import digest, issue_access_token, new_refresh_token
from app.audit import record_change
from app.authorities.models import Department
from app.errors import Conflict, NotFound, TooManyRequests, Unauthorized, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.timeutil import utcnow

BAD_CREDENTIALS = lazy_gettext("The login details are wrong.")
UNIQUE_FIELDS = ("civil_id", "email", "cr_number")
DUPLICATE_MESSAGES = {
    "civil_id": N_("An account with this civil ID number already exists."),
    "email": N_("An account with this e-mail address already exists."),
    "cr_number": N_("An account with this commercial registration number already exists."),
}


def _refuse_duplicates(values: dict[str, Any], exclude_id: int | None = None) -> None:
    """409 naming every field whose value another account already holds."""
    clashes = []
    for field in UNIQUE_FIELDS:
        if values.get(field) is None:
            continue
        query = sa.select(User.id).where(getattr(User, field) == values[field])
        if exclude_id is not None:
            query = query.where(User.id != exclude_id)
        if db.session.scalar(query.limit(1)) is not None:
            clashes.append(field)
    if clashes:
        raise Conflict(
            code=f"duplicate_{clashes[0]}",
            detail=DUPLICATE_MESSAGES[clashes[0]],
            extra={"fields": clashes},
        )


def _insert_user(user: User) -> User:
    """Insert, turning a unique-constraint race into the same 409 as the check before it."""
    db.session.add(user)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        _refuse_duplicates({f: getattr(user, f) for f in UNIQUE_FIELDS})
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
    db.session.commit()
    current_app.logger.info("applicant registered", extra={"user_id": user.id})
    return user


def _find_login(identifier: dict[str, str]) -> User | None:
    if "email" in identifier:
        return db.session.scalar(sa.select(User).where(User.email == identifier["email"]))
    return db.session.scalar(sa.select(User).where(User.civil_id == identifier["civil_id"]))


def log_in(identifier: dict[str, str], password: str) -> dict[str, Any]:
    """Check the password and open a session; locks the account after repeated failures."""
    user = _find_login(identifier)
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        retry = int((user.locked_until - now).total_seconds()) + 1
        raise TooManyRequests(headers={"Retry-After": str(retry)})
    if not verify_password(user.password_hash if user else None, password) or not user.is_active:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= current_app.config["LOGIN_MAX_FAILURES"]:
                user.locked_until = now + timedelta(
                    seconds=current_app.config["LOGIN_LOCK_SECONDS"]
                )
                user.failed_logins = 0
            db.session.commit()
        raise Unauthorized(code="invalid_credentials", detail=BAD_CREDENTIALS)
    user.failed_logins, user.locked_until = 0, None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    refresh_token = new_refresh_token()
    session = AuthSession(
        user_id=user.id,
        refresh_token_hash=digest(refresh_token),
        created_at=now,
        refreshed_at=now,
        expires_at=now + timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"]),
    )
    db.session.add(session)
    db.session.commit()
    return _tokens(user.id, session, refresh_token)


def refresh_session(refresh_token: str) -> dict[str, Any]:
    """Swap a refresh token for a new access token and a new refresh token (rotation)."""
    now = utcnow()
    session = db.session.scalar(
        sa.select(AuthSession)
        .where(AuthSession.refresh_token_hash == digest(refresh_token))
        .with_for_update()
    )
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        raise Unauthorized(
            code="invalid_refresh_token", detail=N_("The refresh token is invalid or has expired.")
        )
    if not session.user.is_active:
        raise Unauthorized(
            code="invalid_refresh_token", detail=N_("The refresh token is invalid or has expired.")
        )
    new_token = new_refresh_token()
    session.refresh_token_hash = digest(new_token)
    session.refreshed_at = now
    db.session.commit()
    return _tokens(session.user_id, session, new_token)


def log_out(user: User, session_id, all_sessions: bool = False) -> None:
    """Revoke this session (or every session of the account): its tokens stop working at once."""
    query = sa.update(AuthSession).where(
        AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None)
    )
    if not all_sessions:
        query = query.where(AuthSession.id == session_id)
    db.session.execute(query.values(revoked_at=utcnow()))
    db.session.commit()


def purge_expired_sessions() -> int:
    """Delete sessions that expired or were revoked more than a day ago; returns how many."""
    cutoff = utcnow() - timedelta(days=1)
    result = db.session.execute(
        sa.delete(AuthSession).where(
            sa.or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
        )
    )
    db.session.commit()
    return result.rowcount


def _tokens(user_id: int, session: AuthSession, refresh_token: str) -> dict[str, Any]:
    return {
        "access_token": issue_access_token(user_id, session.id),
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": current_app.config["ACCESS_TOKEN_TTL"],
    }


def update_profile(user: User, data: dict[str, Any]) -> User:
    """Change the applicant's own contact phone and language."""
    before = audit_view(user)
    for field in ("phone", "preferred_language"):
        if field in data:
            setattr(user, field, data[field])
    record_change(
        "account.updated",
        "user",
        user.id,
        authority_id=user.authority_id,
        before=before,
        after=audit_view(user),
    )
    db.session.commit()
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
    db.session.commit()
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
            db.session.execute(
                sa.update(AuthSession)
                .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
    record_change(
        "staff.updated",
        "user",
        user.id,
        authority_id=user.authority_id,
        before=before,
        after=audit_view(user),
    )
    db.session.commit()
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
