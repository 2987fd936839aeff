"""What an attacker with database access does to the audit log, and how an outside auditor
recomputes a row's hash from the README's definition (written here, not taken from the code)."""

from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager

import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from tests.transactions import outside_connection

SQLITE_TRIGGER = """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""


@contextmanager
def behind_the_apps_back(app):
    """A connection to the database with the append-only trigger out of the way, as its owner
    could; the trigger is back when the block ends."""
    with app.app_context():
        db.session.remove()
        with outside_connection(app) as conn:
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
            else:
                conn.exec_driver_sql("DROP TRIGGER audit_log_append_only")
            try:
                yield conn
            finally:
                if postgres:
                    conn.exec_driver_sql(
                        "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"
                    )
                else:
                    conn.exec_driver_sql(SQLITE_TRIGGER)


def outside_hash(row: dict) -> str:
    """SHA-256 of the canonical JSON as the README defines it, from a row of the CSV export
    (or a row read from the table with the same column names)."""

    def text(value):
        return None if value in (None, "") else str(value)

    def parsed(value):
        return json.loads(value) if isinstance(value, str) else value

    fields = {
        "action": row["action"],
        "actor_id": text(row["actor_id"]),
        "actor_role": text(row["actor_role"]),
        "after": parsed(row["after"]),
        "at": at if isinstance(at := row["at"], str) else f"{at:%Y-%m-%dT%H:%M:%S.%fZ}",
        "authority_id": text(row["authority_id"]),
        "before": parsed(row["before"]),
        "chain": str(row["chain"]),
        "prev_hash": row["prev_hash"],
        "request_id": text(row["request_id"]),
        "seq": str(row["seq"]),
        "subject_id": row["subject_id"],
        "subject_type": row["subject_type"],
    }
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


LOG = AuditEntry.__table__


def rows_of_chain(conn, chain: int) -> list[dict]:
    """The chain's rows as the attacker reads them (times in UTC), in chain order."""
    query = sa.select(LOG).where(LOG.c.chain == chain).order_by(LOG.c.seq)
    return [dict(r) for r in conn.execute(query).mappings()]


def forge(conn, template: dict, **changes) -> dict:
    """Insert a row like `template` with `changes`, hashed as the README says; the new row."""
    row = {k: v for k, v in template.items() if k != "id"} | changes
    row["hash"] = outside_hash(row)
    new_id = conn.execute(LOG.insert().values(**row)).inserted_primary_key[0]
    return {**row, "id": new_id}


def set_seq(conn, row_id: int, seq: int) -> None:
    conn.execute(LOG.update().where(LOG.c.id == row_id).values(seq=seq))
