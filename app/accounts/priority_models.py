"""An applicant's declaration of a priority category (the customer charter, seed `004_…`: the
elderly and people with disabilities are served first), with the document that supports it."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.models import StoredFileColumns, Timestamped
from app.timeutil import UTCDateTime


class PriorityCategory(enum.StrEnum):
    ELDERLY = "elderly"
    DISABILITY = "disability"


class PriorityState(enum.StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REFUSED = "refused"
    REVOKED = "revoked"


# A declaration in one of these holds the applicant's place: a second one is refused (409).
OPEN_STATES = (PriorityState.PENDING.value, PriorityState.VERIFIED.value)


class PriorityDeclaration(StoredFileColumns, Timestamped, db.Model):
    """One declaration: the category, the document, and the staff decision (who, when, why).
    `state` is written by `app.workflow.fire()` only (app.accounts.priority)."""

    __tablename__ = "priority_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(20), default=PriorityState.PENDING.value)
    # The authority of the staff member who decided (the audit chain the decision is sealed in);
    # None while pending: an applicant belongs to no authority.
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(sa.Text)

    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def reference(self) -> str:
        return f"PRI-{self.id:06d}"
