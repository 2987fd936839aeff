from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.authorities.models import Authority, Department
from app.extensions import db
from app.models import Timestamped
from app.timeutil import UTCDateTime


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    INSPECTOR = "inspector"
    FINANCE = "finance"
    DEPARTMENT_HEAD = "department_head"
    ADMIN = "admin"
    AUDITOR = "auditor"  # staff who read (the audit log, reports) and never write


STAFF_ROLES = frozenset(Role) - {Role.APPLICANT}


class AccountKind(enum.StrEnum):
    INDIVIDUAL = "individual"
    BUSINESS = "business"
    STAFF = "staff"


class User(Timestamped, db.Model):
    """A person who logs in: an applicant (individual or business) or a member of staff.

    Staff belong to exactly one authority and department; applicants to none.
    """

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'applicant') = (authority_id IS NULL)", name="staff_have_authority"
        ),
        sa.CheckConstraint("(kind = 'business') = (cr_number IS NOT NULL)", name="business_has_cr"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountKind] = mapped_column(
        sa.Enum(
            AccountKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    role: Mapped[Role] = mapped_column(
        sa.Enum(Role, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e]),
        index=True,
    )
    civil_id: Mapped[str] = mapped_column(sa.String(12), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    phone: Mapped[str] = mapped_column(sa.String(16))
    # An Omani address (app.accounts.schemas.AddressSchema), set and corrected by its owner.
    address: Mapped[dict[str, str] | None] = mapped_column(sa.JSON)
    preferred_language: Mapped[str] = mapped_column(sa.String(2), default="ar")
    cr_number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    trade_name: Mapped[str | None] = mapped_column(sa.String(200))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    # The applicant's verified priority category (app.accounts.priority: elderly, disability),
    # None without one; kept here so that making an application copies it without a statement.
    priority_category: Mapped[str | None] = mapped_column(sa.String(20))

    authority: Mapped[Authority | None] = relationship()
    department: Mapped[Department | None] = relationship()

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES


class AuthSession(db.Model):
    """One login: the refresh token (kept only as a hash) and whether it was revoked.

    Access tokens name their session, so logging out ends both at once.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid(), primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    refresh_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refreshed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class RotatedRefreshToken(db.Model):
    """A refresh token its session already swapped for a new one, kept as a hash so that
    presenting it again is recognised as reuse (and ends the session)."""

    __tablename__ = "rotated_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    rotated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginThrottle(db.Model):
    """Failed logins in a row for one login identifier, whether or not an account has it.

    `key` is an HMAC of the normalised identifier under SECRET_KEY: the table holds no e-mail
    address or civil ID of anyone, user or not.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class PasswordReset(db.Model):
    """One request to set a new password without the old one: a link by e-mail or a six-digit
    code by SMS (`app.accounts.resets`).

    Only a keyed hash of the link's token or of the code is kept. A reset is used once, lives
    `PASSWORD_RESET_TTL` seconds, dies after `PASSWORD_RESET_MAX_TRIES` wrong codes, and is
    superseded by the account's next one. `initiated_by_id` is the admin who started it.
    """

    __tablename__ = "password_resets"
    __table_args__ = (
        sa.CheckConstraint("channel IN ('email', 'sms')", name="channel_known"),
        sa.Index("ix_password_resets_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(sa.String(5))
    secret_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_tries: Mapped[int] = mapped_column(default=0)
    requested_from: Mapped[str | None] = mapped_column(sa.String(45))
    initiated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(foreign_keys=[user_id])
