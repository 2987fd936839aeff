"""Checking the hash chains: every link, in order, against its neighbours and the chain head."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.audit.chain import GENESIS, chain_of, row_hash
from app.audit.models import AuditChainHead, AuditEntry
from app.extensions import db

EDITED = "edited content"
MISSING = "missing row"
INSERTED = "inserted row"
REORDERED = "reordered"


@dataclass(frozen=True)
class Break:
    """The first broken link of a chain: where it is and what is wrong there."""

    chain: int
    seq: int
    row_id: int | None
    problem: str  # one of EDITED, MISSING, INSERTED, REORDERED
    detail: str

    def __str__(self) -> str:
        row = f"row id {self.row_id}" if self.row_id is not None else "no row"
        return f"chain {self.chain}, seq {self.seq}, {row}: {self.problem}: {self.detail}"


@dataclass
class ChainReport:
    chain: int
    rows: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    broken: Break | None = None


@dataclass
class Report:
    chains: list[ChainReport] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return all(c.broken is None for c in self.chains)

    @property
    def first_break(self) -> Break | None:
        return next((c.broken for c in self.chains if c.broken), None)


def verify_chains(batch: int = 1000) -> Report:
    """Walk every chain in `seq` order (streamed, `batch` rows at a time) and report, per chain,
    its length and head, or its first broken link."""
    heads = {h.chain: h for h in db.session.scalars(sa.select(AuditChainHead))}
    chains = set(heads) | set(db.session.scalars(sa.select(AuditEntry.chain).distinct()))
    report = Report()
    for chain in sorted(chains):
        report.chains.append(_verify_chain(chain, heads.get(chain), batch))
    return report


def _verify_chain(chain: int, head: AuditChainHead | None, batch: int) -> ChainReport:
    result = ChainReport(chain)
    rows = db.session.execute(
        sa.select(AuditEntry)
        .where(AuditEntry.chain == chain)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=batch)
    ).scalars()
    prev: AuditEntry | None = None
    for row in rows:
        result.broken = _check_link(chain, prev, row) or _past_head(chain, head, row)
        if result.broken:
            rows.close()
            return result
        result.rows += 1
        prev = row
        db.session.expunge(row)  # keep memory flat on a long chain
    result.broken = _check_head(chain, head, prev)
    if head is not None:
        result.head_seq, result.head_hash = head.seq, head.hash
    return result


def _check_link(chain: int, prev: AuditEntry | None, row: AuditEntry) -> Break | None:
    """What is wrong with `row`, the link after `prev` (None: the first link), if anything.
    `prev` has passed this check itself."""
    expected_seq = prev.seq + 1 if prev else 1
    expected_prev = prev.hash if prev else GENESIS
    if row.seq < expected_seq:  # only from a negative or zero seq: (chain, seq) is unique
        return Break(chain, row.seq, row.id, INSERTED, f"seq {row.seq} comes before seq 1")
    if row.seq > expected_seq:
        gap = f"seq {expected_seq}" + (f" to {row.seq - 1}" if row.seq - 1 > expected_seq else "")
        return Break(chain, expected_seq, row.id, MISSING, f"{gap} absent before this row")
    intact = row_hash(row) == row.hash and chain_of(row.authority_id) == chain
    if row.prev_hash == expected_prev:
        if intact:
            return None
        return Break(chain, row.seq, row.id, EDITED, "the row no longer matches its hash")
    return _explain_bad_link(chain, prev, row, intact)


def _explain_bad_link(chain: int, prev: AuditEntry | None, row: AuditEntry, intact: bool) -> Break:
    """`row` does not point at `prev`: find the row it was written after, to say why."""
    written_after = db.session.execute(
        sa.select(AuditEntry.id, AuditEntry.seq).where(
            AuditEntry.chain == chain, AuditEntry.hash == row.prev_hash
        )
    ).first()
    if row.prev_hash == GENESIS:  # and prev is not None: it was the first row once
        return Break(chain, row.seq, row.id, REORDERED, "it was written as the chain's first row")
    if written_after is not None and written_after.seq > row.seq:
        detail = (
            f"it was written after row id {written_after.id}, "
            f"which now comes later (seq {written_after.seq})"
        )
        return Break(chain, row.seq, row.id, REORDERED, detail)
    if written_after is not None and prev is not None and written_after.seq < prev.seq:
        detail = (
            f"it was put in between row id {written_after.id} (seq {written_after.seq}) "
            f"and row id {row.id}, which was written right after it"
        )
        return Break(chain, prev.seq, prev.id, INSERTED, detail)
    if written_after is None and intact and prev is not None:
        detail = f"the row after it (row id {row.id}) was written after a different row"
        return Break(chain, prev.seq, prev.id, EDITED, f"rewritten, hash and all: {detail}")
    return Break(chain, row.seq, row.id, EDITED, "the row no longer links to the row before it")


def _past_head(chain: int, head: AuditChainHead | None, row: AuditEntry) -> Break | None:
    if head is None or row.seq <= head.seq:
        return None
    detail = f"the chain head ends at seq {head.seq}: this row was added behind its back"
    return Break(chain, row.seq, row.id, INSERTED, detail)


def _check_head(chain: int, head: AuditChainHead | None, last: AuditEntry | None) -> Break | None:
    """The chain's last row is the one its head records."""
    last_seq, last_hash = (last.seq, last.hash) if last else (0, GENESIS)
    last_id = last.id if last else None
    if head is None:
        return Break(chain, last_seq, last_id, INSERTED, "rows in a chain that has no head")
    if last_seq < head.seq:
        gap = f"seq {last_seq + 1}" + (f" to {head.seq}" if head.seq > last_seq + 1 else "")
        return Break(chain, last_seq + 1, None, MISSING, f"{gap} absent at the end of the chain")
    if last_hash != head.hash:
        return Break(chain, last_seq, last_id, EDITED, "the last row's hash is not the head's")
    return None
