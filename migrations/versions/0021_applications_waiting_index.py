"""applications: a partial index of those waiting on the staff, by service and last action, for
the escalation sweep

Revision ID: 0021
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

WAITING_ON_STAFF = (
    "state IN ('submitted', 'in_review', 'inspection_scheduled', 'inspected', 'approved')"
)


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(
            "ix_applications_waiting",
            ["service_id", "last_action_at"],
            unique=False,
            postgresql_where=sa.text(WAITING_ON_STAFF),
            sqlite_where=sa.text(WAITING_ON_STAFF),
        )


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_waiting")
