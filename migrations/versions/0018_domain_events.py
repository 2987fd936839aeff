"""domain_events and their deliveries: facts published after commit, each handler's delivery kept

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "domain_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_domain_events_name_created", "domain_events", ["name", "created_at"])
    op.create_table(
        "domain_event_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "event_id",
            sa.Integer(),
            sa.ForeignKey("domain_events.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("handler", sa.String(200), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("event_id", "handler"),
    )


def downgrade():
    op.drop_table("domain_event_deliveries")
    op.drop_index("ix_domain_events_name_created", table_name="domain_events")
    op.drop_table("domain_events")
