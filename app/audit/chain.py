"""The hash chain: the canonical form of a row, its hash, and sealing rows at commit.

Canonical JSON of a row (what an outside auditor recomputes, README "Audit log"): a JSON object
with exactly the keys `action, actor_id, actor_role, after, at, authority_id, before, chain,
prev_hash, request_id, seq, subject_id, subject_type`; keys sorted, no whitespace
(separators `,` and `:`), non-ASCII written as itself, encoded UTF-8; ids, `chain` and `seq`
as decimal strings; `at` as UTC `YYYY-MM-DDTHH:MM:SS.ffffffZ`; absent values as `null`.
`hash` = lowercase hex SHA-256 of those bytes. The first link of a chain has
`prev_hash` = 64 zeros.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.audit.models import AuditChainHead, AuditEntry
from app.timeutil import utcnow

GENESIS = "0" * 64
SYSTEM_CHAIN = 0  # rows with no authority (registrations, account-wide security events)
PENDING = "audit_pending"


def chain_of(authority_id: int | None) -> int:
    return SYSTEM_CHAIN if authority_id is None else authority_id


def _id(value: object) -> str | None:
    return None if value is None else str(value)


def format_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_fields(row: Any) -> dict[str, Any]:
    """The hashed fields of an audit row (an `AuditEntry` or anything with its attributes)."""
    return {
        "action": row.action,
        "actor_id": _id(row.actor_id),
        "actor_role": row.actor_role,
        "after": row.after,
        "at": format_at(row.at),
        "authority_id": _id(row.authority_id),
        "before": row.before,
        "chain": _id(row.chain),
        "prev_hash": row.prev_hash,
        "request_id": row.request_id,
        "seq": _id(row.seq),
        "subject_id": row.subject_id,
        "subject_type": row.subject_type,
    }


def canonical_json(value: Any) -> str:
    """`value` written the canonical way: sorted keys, no whitespace, UTF-8 characters as is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(row: Any) -> str:
    return hashlib.sha256(canonical_json(canonical_fields(row)).encode("utf-8")).hexdigest()


def as_stored(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """`value` as it reads back from a JSON column (string keys, tuples as lists), so the hash
    taken now is the hash `verify` recomputes later."""
    return None if value is None else json.loads(json.dumps(value, allow_nan=False))


def hold(session: Session, entry: AuditEntry) -> None:
    """Keep `entry` for this transaction; it is sealed and inserted when it commits."""
    transaction = session.get_transaction() or session.begin()
    pending = session.info.get(PENDING)
    if pending is None or pending[0] is not transaction:
        pending = session.info[PENDING] = (transaction, [])
    pending[1].append(entry)


def seal_pending(session: Session) -> None:
    """`before_commit`: give the transaction's audit rows their links, then let commit insert
    them. Everything else is flushed first, so the chain heads are the last locks the transaction
    takes (no lock order to break: payments → application → heads) and are held only for the
    insert of the audit rows and the commit itself. Heads are locked in chain order, so two
    transactions writing to the same two chains cannot deadlock on each other."""
    pending = session.info.pop(PENDING, None)
    if not pending or pending[0] is not session.get_transaction() or not pending[1]:
        return
    entries = pending[1]
    session.flush()
    at = utcnow()
    by_chain: dict[int, list[AuditEntry]] = {}
    for entry in entries:
        by_chain.setdefault(chain_of(entry.authority_id), []).append(entry)
    for chain in sorted(by_chain):
        seq, prev = _lock_head(session, chain)
        for entry in by_chain[chain]:
            seq += 1
            entry.at, entry.chain, entry.seq, entry.prev_hash = at, chain, seq, prev
            entry.hash = prev = row_hash(entry)
            session.add(entry)
        session.execute(
            sa.update(AuditChainHead)
            .where(AuditChainHead.chain == chain)
            .values(seq=seq, hash=prev)
        )


def _lock_head(session: Session, chain: int) -> tuple[int, str]:
    """The chain's head `(seq, hash)`, locked until commit; created at `(0, GENESIS)`."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # SQLite ignores FOR UPDATE; a write statement takes the database's write lock first.
        session.execute(
            sa.update(AuditChainHead)
            .where(AuditChainHead.chain == chain)
            .values(seq=AuditChainHead.seq)
        )
    query = (
        sa.select(AuditChainHead.seq, AuditChainHead.hash)
        .where(AuditChainHead.chain == chain)
        .with_for_update()
    )
    found = session.execute(query).first()
    if found is None:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(AuditChainHead)
        session.execute(insert.values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing())
        found = session.execute(query).first()
    return found.seq, found.hash


def drop_pending(session: Session, previous_transaction) -> None:
    """`after_soft_rollback`: rows of a transaction rolled back are never written."""
    if not previous_transaction.nested:
        session.info.pop(PENDING, None)
