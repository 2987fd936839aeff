"""applications: an index in the staff queue's order after the authority and the family, so that
a page of `family=` is an index range too (at 1,000,000 applications the queue's own index,
filtered by family, took 32 ms at p99)

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

KEY = ["queue_band", sa.text("(-priority)"), "sla_due_date", "id"]


def upgrade():
    op.create_index(
        "ix_applications_queue_family", "applications", ["authority_id", "family", *KEY]
    )


def downgrade():
    op.drop_index("ix_applications_queue_family", table_name="applications")
