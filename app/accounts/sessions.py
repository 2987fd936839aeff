"""Sessions: log in, refresh (rotation with reuse detection), log out, purge.

A session holds one current refresh token (as a hash); each refresh swaps it for a new one and
keeps the old hash in `rotated_refresh_tokens`. Access tokens name their session, so revoking the
session ends its access tokens too (`app.access`). The caller's unit of work (`app.uow`) commits;
a refusal whose record must stand (a failed login counted, a reused token's session revoked) says
so with `keep_on_refusal()` before raising.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext

from app.accounts.models import AuthSession, RotatedRefreshToken, User
from app.accounts.passwords import hash_password, needs_rehash, verify_password
from app.accounts.throttle import (
    clear_failures,
    purge_stale_throttles,
    record_failure,
    refuse_if_locked,
    throttle_key,
)
from app.accounts.tokens import digest, issue_access_token, new_refresh_token
from app.audit import record_change
from app.errors import Unauthorized
from app.extensions import db
from app.i18n import N_
from app.timeutil import real_utcnow  # sign-in: never the frozen test clock
from app.uow import keep_on_refusal

BAD_CREDENTIALS = lazy_gettext("The login details are wrong.")
INVALID_REFRESH = N_("The refresh token is invalid or has expired.")


def _find_login(identifier: dict[str, str]) -> User | None:
    if "email" in identifier:
        return db.session.scalar(sa.select(User).where(User.email == identifier["email"]))
    return db.session.scalar(sa.select(User).where(User.civil_id == identifier["civil_id"]))


def log_in(identifier: dict[str, str], password: str) -> dict[str, Any]:
    """Check the password and open a session.

    Failures count per identifier whether or not an account has it (`app.accounts.throttle`),
    and an unknown identifier still costs one password hash: known and unknown answer alike.
    """
    now = real_utcnow()
    key = throttle_key(identifier)
    refuse_if_locked(key, now)
    user = _find_login(identifier)
    if not verify_password(user.password_hash if user else None, password) or not user.is_active:
        record_failure(key, now)
        keep_on_refusal()  # the failure counts towards the lock-out although the answer is 401
        raise Unauthorized(code="invalid_credentials", detail=BAD_CREDENTIALS)
    clear_failures(key)
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
    db.session.flush()  # the access token names the session's id
    return _tokens(user.id, session, refresh_token)


def refresh_session(refresh_token: str) -> dict[str, Any]:
    """Swap a refresh token for a new access token and a new refresh token (rotation).

    A token its session already rotated is reuse: the session is revoked at once (its access
    tokens stop working), audited and logged; all answer 401 `invalid_refresh_token` alike.
    """
    now = real_utcnow()
    token_hash = digest(refresh_token)
    session = db.session.scalar(
        sa.select(AuthSession).where(AuthSession.refresh_token_hash == token_hash).with_for_update()
    )
    if session is None:
        _answer_reuse(token_hash)
        raise Unauthorized(code="invalid_refresh_token", detail=INVALID_REFRESH)
    if session.revoked_at is not None or session.expires_at <= now or not session.user.is_active:
        raise Unauthorized(code="invalid_refresh_token", detail=INVALID_REFRESH)
    new_token = new_refresh_token()
    db.session.add(
        RotatedRefreshToken(token_hash=token_hash, session_id=session.id, rotated_at=now)
    )
    session.refresh_token_hash = digest(new_token)
    session.refreshed_at = now
    return _tokens(session.user_id, session, new_token)


def _answer_reuse(token_hash: str) -> None:
    """If `token_hash` is a rotated token, revoke its session (unless it is the benign race:
    the token rotated last, presented again within REFRESH_REUSE_GRACE_SECONDS)."""
    row = db.session.execute(
        sa.select(RotatedRefreshToken, AuthSession)
        .join(AuthSession, AuthSession.id == RotatedRefreshToken.session_id)
        .where(RotatedRefreshToken.token_hash == token_hash)
        .with_for_update(of=AuthSession)
    ).first()
    if row is None:
        return
    rotated, session = row
    now = real_utcnow()
    ids = {"user_id": session.user_id, "session_id": str(session.id)}
    grace = timedelta(seconds=current_app.config["REFRESH_REUSE_GRACE_SECONDS"])
    if rotated.rotated_at == session.refreshed_at and now - rotated.rotated_at <= grace:
        current_app.logger.info("refresh token presented twice within the grace period", extra=ids)
        return
    newly_revoked = session.revoked_at is None
    if newly_revoked:
        session.revoked_at = now
    record_change(
        "security.refresh_token_reused",
        "auth_session",
        session.id,
        authority_id=session.user.authority_id,
        after={**ids, "rotated_at": rotated.rotated_at.isoformat(), "revoked": newly_revoked},
    )
    keep_on_refusal()  # the revocation and its audit row stand although the answer is 401
    current_app.logger.warning("rotated refresh token presented again; session revoked", extra=ids)


def log_out(user: User, session_id: uuid.UUID, all_sessions: bool = False) -> None:
    """Revoke this session (or every session of the account): its tokens stop working at once."""
    if all_sessions:
        revoke_sessions(user.id)
    else:
        db.session.execute(
            sa.update(AuthSession)
            .where(
                AuthSession.user_id == user.id,
                AuthSession.id == session_id,
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=real_utcnow())
        )


def revoke_sessions(user_id: int, keep: uuid.UUID | None = None) -> None:
    """Revoke every live session of the account, but `keep`."""
    query = sa.update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    db.session.execute(query.values(revoked_at=real_utcnow()))


def purge_expired_sessions() -> int:
    """Delete sessions that expired or were revoked more than a day ago (their rotated tokens
    go with them), and stale login throttles; returns how many sessions."""
    now = real_utcnow()
    cutoff = now - timedelta(days=1)
    result = db.session.execute(
        sa.delete(AuthSession).where(
            sa.or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
        )
    )
    purge_stale_throttles(now)
    return result.rowcount


def _tokens(user_id: int, session: AuthSession, refresh_token: str) -> dict[str, Any]:
    return {
        "access_token": issue_access_token(user_id, session.id),
        "refresh_token": refresh_token,
        "token_type": "Bearer",
        "expires_in": current_app.config["ACCESS_TOKEN_TTL"],
    }
