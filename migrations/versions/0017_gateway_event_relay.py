"""payment_events: relay of recorded events whose processing job was lost

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("relay_attempts", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("next_relay_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_payment_events_unprocessed",
            ["id"],
            unique=False,
            postgresql_where=sa.text("processed_at IS NULL"),
            sqlite_where=sa.text("processed_at IS NULL"),
        )


def downgrade():
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_events_unprocessed")
        batch_op.drop_column("next_relay_at")
        batch_op.drop_column("relay_attempts")
