"""The audit log's tables: the rows, and the head of each hash chain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.timeutil import UTCDateTime, utcnow

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AuditEntry(db.Model):
    """One change. Rows are only ever inserted; nothing updates or deletes them.

    Each row is link `seq` of the hash chain `chain` (the authority's id; 0 for system-wide
    rows): `hash` is SHA-256 over its canonical JSON, which includes `prev_hash`, the hash of
    link `seq - 1` (see app/audit/chain.py)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BIG_ID, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_role: Mapped[str | None] = mapped_column(sa.String(20))
    action: Mapped[str] = mapped_column(sa.String(60))
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    chain: Mapped[int] = mapped_column()
    seq: Mapped[int] = mapped_column(sa.BigInteger())
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (
        sa.Index("ix_audit_log_subject", "subject_type", "subject_id"),
        sa.UniqueConstraint("chain", "seq"),
    )


class AuditChainHead(db.Model):
    """The last link of each chain. Appending locks this row until commit (so two transactions
    cannot both take the same `seq`), and `verify` compares the chain's last row with it (so a
    row cut off the end of a chain is seen)."""

    __tablename__ = "audit_chain_heads"

    chain: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(sa.BigInteger())
    hash: Mapped[str] = mapped_column(sa.String(64))
