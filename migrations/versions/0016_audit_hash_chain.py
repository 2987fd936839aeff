"""audit log: a hash chain per authority (chain, seq, prev_hash, hash) and the chain heads;
existing rows are linked in the order they were written

Revision ID: 0016
Revises: 0015
"""

from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from app.audit.chain import GENESIS, chain_of, row_hash
from app.timeutil import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SQLITE_TRIGGER = """
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
"""
rows = sa.table(
    "audit_log",
    sa.column("id", BIG),
    sa.column("at", UTCDateTime()),
    sa.column("authority_id", sa.Integer()),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_role", sa.String()),
    sa.column("action", sa.String()),
    sa.column("subject_type", sa.String()),
    sa.column("subject_id", sa.String()),
    sa.column("before", sa.JSON()),
    sa.column("after", sa.JSON()),
    sa.column("request_id", sa.String()),
    sa.column("chain", sa.Integer()),
    sa.column("seq", sa.BigInteger()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
)
heads = sa.table(
    "audit_chain_heads",
    sa.column("chain", sa.Integer()),
    sa.column("seq", sa.BigInteger()),
    sa.column("hash", sa.String()),
)


def _append_only(on: bool) -> None:
    """The log refuses updates (0006); linking the existing rows is the one update it takes."""
    if op.get_bind().dialect.name == "postgresql":
        state = "ENABLE" if on else "DISABLE"
        op.execute(f"ALTER TABLE audit_log {state} TRIGGER audit_log_append_only")
    else:  # a batch alter rebuilds the table without its triggers: recreate it after
        op.execute(SQLITE_TRIGGER if on else "DROP TRIGGER audit_log_append_only")


def _link_existing_rows() -> None:
    bind = op.get_bind()
    last: dict[int, tuple[int, str]] = {}
    for row in bind.execute(sa.select(rows).order_by(rows.c.id)).mappings().all():
        seq, prev = last.get(chain_of(row["authority_id"]), (0, GENESIS))
        linked = {**row, "chain": chain_of(row["authority_id"]), "seq": seq + 1, "prev_hash": prev}
        digest = row_hash(SimpleNamespace(**linked))
        bind.execute(
            rows.update()
            .where(rows.c.id == row["id"])
            .values(chain=linked["chain"], seq=seq + 1, prev_hash=prev, hash=digest)
        )
        last[linked["chain"]] = (seq + 1, digest)
    if last:
        op.bulk_insert(heads, [{"chain": c, "seq": s, "hash": h} for c, (s, h) in last.items()])


def upgrade():
    op.create_table(
        "audit_chain_heads",
        sa.Column("chain", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_audit_chain_heads")),
    )
    _append_only(False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _link_existing_rows()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        for name in ("chain", "seq", "prev_hash", "hash"):
            batch_op.alter_column(name, nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_chain"), ["chain", "seq"])
    _append_only(True)


def downgrade():
    _append_only(False)
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_chain"), type_="unique")
        for name in ("hash", "prev_hash", "seq", "chain"):
            batch_op.drop_column(name)
    _append_only(True)
    op.drop_table("audit_chain_heads")
