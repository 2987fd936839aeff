"""Password reset: a way back in for whoever forgot their password (the seeds' promise of help
with login problems), by a one-time link by e-mail or a six-digit code by SMS, as the user
chooses; and an admin's reset of a member of staff.

- **Asking** answers 202 alike whether or not an account has the e-mail or civil ID, and costs
  the same keyed hash either way. An account gets at most `PASSWORD_RESET_MAX_PER_HOUR` resets
  an hour (more are answered alike and send nothing); the rate limiter also counts per client
  address and per identifier (group `password_reset`). A new reset supersedes the account's
  earlier live ones.
- **The secret** is 32 random bytes (URL-safe) for a link, six random digits for a code. Only
  an HMAC under SECRET_KEY is stored (a code's with its reset's id, so equal codes of two
  accounts hash apart). The message that carries it is the one place it exists in clear; its
  text is replaced by a note once the reset is used, superseded or purged.
- **Using it** (`confirm_reset`): a link's token alone, or the identifier with the code. It
  must be live (unused, unexpired, not superseded) and, for a code, tried wrongly fewer than
  `PASSWORD_RESET_MAX_TRIES` times; every refusal is the same 400 `invalid_reset`, also for an
  unknown account. The new password passes the same policy as at registration (a policy
  refusal leaves the reset usable). On success the reset is spent, every session of the account
  ends, the login lock-out of its e-mail and civil ID is lifted, the change is audited, and the
  user is told by the other channel (an SMS after a link, an e-mail after a code) and in-app.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from app.accounts.models import STAFF_ROLES, PasswordReset, User
from app.accounts.password_policy import password_problem
from app.accounts.passwords import hash_password
from app.accounts.sessions import revoke_sessions
from app.accounts.throttle import clear_failures, throttle_key
from app.audit import record_change
from app.errors import BadRequest, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.notifications.models import Channel, Notification
from app.notifications.services import notify
from app.timeutil import MUSCAT, real_utcnow
from app.uow import keep_on_refusal

INVALID_RESET = N_("The reset link or code is wrong, has been used or has expired. Ask again.")
RESET_SENT = N_(
    "If an account has this e-mail or civil ID, a reset link or code is on its way to it."
)
ADMIN_RESET_SENT = N_(
    "The member of staff's sessions have ended and a reset link or code is on its way to them."
)
SPENT_NOTE = N_("This message held a password reset link or code; it is no longer valid.")
SUBJECT = "password_reset"
CODE_DIGITS = 6


def _keyed(secret: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def _code_hash(reset_id: int, code: str) -> str:
    return _keyed(f"code:{reset_id}:{code}")


def _link_hash(token: str) -> str:
    return _keyed(f"link:{token}")


def _find_account(identifier: dict[str, str]) -> User | None:
    column = User.email if "email" in identifier else User.civil_id
    value = identifier.get("email") or identifier.get("civil_id")
    return db.session.scalar(sa.select(User).where(column == value))


def _invalid() -> BadRequest:
    return BadRequest(code="invalid_reset", detail=INVALID_RESET)


def request_reset(identifier: dict[str, str], channel: str = "email") -> None:
    """Send a reset to the account with this e-mail or civil ID, if there is one, it is active
    and it has not had its hourly share; otherwise do nothing, at the same cost."""
    now = real_utcnow()
    user = _find_account(identifier)
    if user is None or not user.is_active or _resets_this_hour(user.id, now) >= _max_per_hour():
        _keyed(secrets.token_urlsafe(32))  # the same work as a real reset's hash
        if user is not None:
            current_app.logger.info("password reset not sent", extra={"user_id": user.id})
        return
    _issue(user, channel, now, initiated_by=None)


def admin_reset(admin: User, user_id: int, channel: str = "email") -> None:
    """An admin resets a member of staff of their authority: the account's sessions end at once
    and a reset goes to the member by `channel`. 404 for anyone else."""
    user = db.session.scalar(
        sa.select(User).where(
            User.id == user_id,
            User.authority_id == admin.authority_id,
            User.role.in_(STAFF_ROLES),
        )
    )
    if user is None:
        raise NotFound()
    now = real_utcnow()
    revoke_sessions(user.id)
    _issue(user, channel, now, initiated_by=admin)


def _issue(user: User, channel: str, now: datetime, initiated_by: User | None) -> None:
    _supersede(user.id, now)
    ttl = timedelta(seconds=current_app.config["PASSWORD_RESET_TTL"])
    reset = PasswordReset(
        user_id=user.id,
        channel=channel,
        secret_hash=secrets.token_hex(32),  # replaced below once the row has its id
        created_at=now,
        expires_at=now + ttl,
        failed_tries=0,
        requested_from=request.remote_addr if has_request_context() else None,
        initiated_by_id=initiated_by.id if initiated_by else None,
    )
    db.session.add(reset)
    db.session.flush()
    minutes = int(ttl.total_seconds() // 60)
    if channel == "sms":
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        reset.secret_hash = _code_hash(reset.id, code)
        context: dict[str, Any] = {"code": code, "minutes": minutes}
        event = "password_reset_code"
    else:
        token = secrets.token_urlsafe(32)
        reset.secret_hash = _link_hash(token)
        url = current_app.config["PASSWORD_RESET_URL"].format(
            base=current_app.config["PUBLIC_BASE_URL"].rstrip("/"), token=token
        )
        context = {"url": url, "minutes": minutes}
        event = "password_reset_link"
    notify(user, event, context, subject=(SUBJECT, reset.id), channels=(Channel(channel),))
    record_change(
        "account.password_reset_requested",
        "user",
        user.id,
        authority_id=user.authority_id,
        after={"channel": channel, "reset_id": reset.id, "by_admin": initiated_by is not None},
    )


def confirm_reset(data: dict[str, Any]) -> None:
    """Set the new password with a live reset: `token` (a link's), or `email`/`civil_id` with
    `code`. Raises BadRequest `invalid_reset` for every kind of refusal, ValidationFailed on
    `new_password` when the policy refuses it (the reset stays usable)."""
    now = real_utcnow()
    if "token" in data:
        reset = db.session.scalar(
            sa.select(PasswordReset)
            .where(PasswordReset.secret_hash == _link_hash(data["token"]))
            .with_for_update()
        )
        if reset is None or reset.channel != "email" or not _live(reset, now):
            raise _invalid()
    else:
        reset = _check_code(data, now)
    user = db.session.get(User, reset.user_id)
    if user is None or not user.is_active:
        raise _invalid()
    problem = password_problem(
        data["new_password"], email=user.email, civil_id=user.civil_id, phone=user.phone
    )
    if problem:
        raise ValidationFailed({"new_password": [problem]})
    user.password_hash = hash_password(data["new_password"])
    reset.used_at = now
    _spend_messages([reset.id])
    revoke_sessions(user.id)
    clear_failures(throttle_key({"email": user.email}))
    clear_failures(throttle_key({"civil_id": user.civil_id}))
    record_change(
        "account.password_reset",
        "user",
        user.id,
        authority_id=user.authority_id,
        after={"channel": reset.channel, "reset_id": reset.id, "sessions_ended": True},
    )
    told_by = Channel.SMS if reset.channel == "email" else Channel.EMAIL
    notify(
        user,
        "password_changed",
        {"changed_at": now.astimezone(MUSCAT).strftime("%Y-%m-%d %H:%M")},
        subject=("user", user.id),
        channels=(told_by, Channel.IN_APP),
    )
    current_app.logger.info("password reset", extra={"user_id": user.id})


def _check_code(data: dict[str, Any], now: datetime) -> PasswordReset:
    """The account's live SMS reset whose code this is. A wrong code counts a try (the count
    stands although the answer is 400); an unknown account answers alike, at the same cost."""
    identifier = {k: data[k] for k in ("email", "civil_id") if k in data}
    user = _find_account(identifier)
    reset = None
    if user is not None:
        reset = db.session.scalar(
            sa.select(PasswordReset)
            .where(
                PasswordReset.user_id == user.id,
                PasswordReset.channel == "sms",
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .order_by(PasswordReset.created_at.desc(), PasswordReset.id.desc())
            .limit(1)
            .with_for_update()
        )
    if reset is None:
        _code_hash(0, data["code"])
        raise _invalid()
    if reset.failed_tries >= _max_tries():
        raise _invalid()
    if not hmac.compare_digest(reset.secret_hash, _code_hash(reset.id, data["code"])):
        reset.failed_tries += 1
        keep_on_refusal()  # the wrong try counts although the answer is 400
        raise _invalid()
    return reset


def _live(reset: PasswordReset, now: datetime) -> bool:
    return reset.used_at is None and reset.expires_at > now and reset.failed_tries < _max_tries()


def _supersede(user_id: int, now: datetime) -> None:
    """End the account's live resets (the newest one is the only one that works)."""
    ids = list(
        db.session.scalars(
            sa.update(PasswordReset)
            .where(
                PasswordReset.user_id == user_id,
                PasswordReset.used_at.is_(None),
                PasswordReset.expires_at > now,
            )
            .values(expires_at=now)
            .returning(PasswordReset.id)
        )
    )
    _spend_messages(ids)


def _spend_messages(reset_ids: list[int]) -> None:
    """Replace the text of the messages that carried these resets' secrets (in the outbox, and
    in the in-app list should one ever be written there)."""
    if not reset_ids:
        return
    db.session.execute(
        sa.update(Notification)
        .where(
            Notification.subject_type == SUBJECT,
            Notification.subject_id.in_([str(i) for i in reset_ids]),
        )
        .values(title=SPENT_NOTE, body_text=SPENT_NOTE, body_html=None),
        execution_options={"synchronize_session": False},
    )


def _resets_this_hour(user_id: int, now: datetime) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(PasswordReset)
        .where(
            PasswordReset.user_id == user_id,
            PasswordReset.created_at > now - timedelta(hours=1),
            PasswordReset.initiated_by_id.is_(None),
        )
    )


def purge_password_resets(now: datetime | None = None) -> int:
    """Delete resets ended more than a day ago, first replacing their messages' text; returns
    how many. Run daily with the sessions' purge."""
    now = now or real_utcnow()
    cutoff = now - timedelta(days=1)
    old = list(
        db.session.scalars(sa.select(PasswordReset.id).where(PasswordReset.expires_at < cutoff))
    )
    _spend_messages(old)
    if old:
        db.session.execute(sa.delete(PasswordReset).where(PasswordReset.id.in_(old)))
    return len(old)


def _max_tries() -> int:
    return current_app.config["PASSWORD_RESET_MAX_TRIES"]


def _max_per_hour() -> int:
    return current_app.config["PASSWORD_RESET_MAX_PER_HOUR"]
