"""Reading the audit log: one chain, by period and subject, as a page or as CSV lines."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.audit.chain import canonical_json, chain_of, format_at
from app.audit.models import AuditEntry
from app.extensions import db
from app.subjects import subject_ids
from app.timeutil import MUSCAT

CSV_COLUMNS = (
    "id",
    "chain",
    "seq",
    "at",
    "authority_id",
    "actor_id",
    "actor_role",
    "action",
    "subject_type",
    "subject_id",
    "before",
    "after",
    "request_id",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class AuditFilter:
    """Rows of one chain, `first`..`last` inclusive (Asia/Muscat dates), about one subject."""

    chain: int
    first: date | None = None
    last: date | None = None
    subject: tuple[str, str] | None = None

    @classmethod
    def for_authority(cls, authority_id: int | None, query: dict) -> AuditFilter:
        return cls(
            chain_of(authority_id), query.get("first"), query.get("last"), query.get("subject")
        )


def _muscat_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=MUSCAT)


def audit_query(wanted: AuditFilter) -> sa.Select:
    """The chain's rows that `wanted` asks for, in chain order."""
    query = sa.select(AuditEntry).where(AuditEntry.chain == wanted.chain)
    if wanted.first:
        query = query.where(AuditEntry.at >= _muscat_midnight(wanted.first))
    if wanted.last:
        query = query.where(AuditEntry.at < _muscat_midnight(wanted.last + timedelta(days=1)))
    if wanted.subject:
        kind, identifier = wanted.subject
        query = query.where(
            AuditEntry.subject_type == kind,
            AuditEntry.subject_id.in_(subject_ids(kind, identifier)),
        )
    return query.order_by(AuditEntry.seq)


def csv_row(row: AuditEntry) -> list[str]:
    """A row as the export writes it: the hashed fields in their canonical form (`before` and
    `after` as canonical JSON, `at` in UTC), so a reader can recompute `hash` from the line."""

    def text(value: object) -> str:
        return "" if value is None else str(value)

    return [
        str(row.id),
        str(row.chain),
        str(row.seq),
        format_at(row.at),
        text(row.authority_id),
        text(row.actor_id),
        text(row.actor_role),
        row.action,
        row.subject_type,
        row.subject_id,
        canonical_json(row.before),
        canonical_json(row.after),
        text(row.request_id),
        row.prev_hash,
        row.hash,
    ]


def csv_lines(wanted: AuditFilter, batch: int = 500) -> Iterator[str]:
    """The CSV export, line by line: a header, then the rows streamed `batch` at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")

    def line(values) -> str:
        out.seek(0)
        out.truncate()
        writer.writerow(values)
        return out.getvalue()

    yield line(CSV_COLUMNS)
    rows = db.session.execute(audit_query(wanted).execution_options(yield_per=batch)).scalars()
    for row in rows:
        yield line(csv_row(row))
        db.session.expunge(row)


def record_export(wanted: AuditFilter, authority_id: int | None) -> None:
    """Exports are audited too: who took which part of which chain. The view's unit of work
    commits it when the view answers, before the first line is streamed, so an export that
    breaks off half-way is still on record."""
    from app.audit import record_change

    subject = ":".join(wanted.subject) if wanted.subject else None
    record_change(
        "audit.exported",
        "audit_chain",
        wanted.chain,
        authority_id=authority_id,
        after={
            "from": wanted.first.isoformat() if wanted.first else None,
            "to": wanted.last.isoformat() if wanted.last else None,
            "subject": subject,
        },
    )
