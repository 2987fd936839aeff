"""refunds: idempotency key per round of gateway calls, send times, gateway discrepancies

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("gateway_round", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(sa.Column("gateway_key", sa.String(length=60), nullable=True))
        batch_op.add_column(
            sa.Column("key_first_sent_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("attention", sa.String(length=300), nullable=True))
    # Refunds already sent used their reference as key.
    op.execute(
        "UPDATE refunds SET gateway_key = reference, key_first_sent_at = updated_at, "
        "last_sent_at = updated_at WHERE gateway_attempts > 0"
    )


def downgrade():
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        for column in (
            "attention",
            "last_sent_at",
            "key_first_sent_at",
            "gateway_key",
            "gateway_round",
        ):
            batch_op.drop_column(column)
