"""The append-only, hash-chained audit log: who did what, when, to which record, before and after.

`record_change` adds a row to the current transaction; the row joins its authority's hash chain
when the transaction commits (app/audit/chain.py), and `flask audit verify` checks every chain.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.audit.chain import as_stored, drop_pending, hold, seal_pending
from app.audit.models import AuditChainHead, AuditEntry
from app.extensions import db

__all__ = ["AuditChainHead", "AuditEntry", "record_change"]


def record_change(
    action: str,
    subject_type: str,
    subject_id: object,
    *,
    authority_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to the current transaction; the actor is the caller of the request.
    The row is written when the transaction commits, and never if it rolls back."""
    actor = g.get("user") if has_request_context() else None
    entry = AuditEntry(
        authority_id=authority_id,
        actor_id=actor.id if actor else None,
        actor_role=actor.role.value if actor else None,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        before=as_stored(before),
        after=as_stored(after),
        request_id=g.get("request_id") if has_request_context() else None,
    )
    hold(db.session(), entry)
    return entry


if not event.contains(Session, "before_commit", seal_pending):
    event.listen(Session, "before_commit", seal_pending)
    event.listen(Session, "after_soft_rollback", drop_pending)
