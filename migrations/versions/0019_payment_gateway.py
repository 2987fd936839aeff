"""payments and payment_events: the gateway each was made through (existing rows: stripe)

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("gateway", sa.String(length=20), server_default="stripe", nullable=False)
        )
        batch_op.add_column(sa.Column("redirect_url", sa.String(length=500), nullable=True))
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("gateway", sa.String(length=20), server_default="stripe", nullable=False)
        )
        batch_op.drop_constraint("uq_payment_events_gateway_event_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_payment_events_gateway", ["gateway", "gateway_event_id"]
        )
    # The server default only filled the rows already there; new rows name their gateway.
    for table in ("payments", "payment_events"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("gateway", server_default=None)


def downgrade():
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_payment_events_gateway", type_="unique")
        batch_op.create_unique_constraint(
            "uq_payment_events_gateway_event_id", ["gateway_event_id"]
        )
        batch_op.drop_column("gateway")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("redirect_url")
        batch_op.drop_column("gateway")
