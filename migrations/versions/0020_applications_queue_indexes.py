"""applications: indexes in the staff queue's order (due date, none last, then id), after the
authority, its state, the service, the assignee, and for running clocks

The queue's old index (authority, state, due date) could not give its order: a page was a
sequential scan and a sort of the authority's every application. The assignee's index becomes the
first column of its queue index.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

QUEUE_KEY = [sa.text("(sla_due_date IS NULL)"), "sla_due_date", "id"]
RUNNING_CLOCK = "sla_started_at IS NOT NULL AND sla_stopped_at IS NULL AND sla_paused_at IS NULL"


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index("ix_applications_queue")
        batch_op.drop_index("ix_applications_assignee_id")
    op.create_index("ix_applications_queue", "applications", ["authority_id", *QUEUE_KEY])
    op.create_index(
        "ix_applications_queue_state", "applications", ["authority_id", "state", *QUEUE_KEY]
    )
    op.create_index("ix_applications_queue_service", "applications", ["service_id", *QUEUE_KEY])
    op.create_index("ix_applications_queue_assignee", "applications", ["assignee_id", *QUEUE_KEY])
    op.create_index(
        "ix_applications_queue_running",
        "applications",
        ["authority_id", *QUEUE_KEY],
        postgresql_where=sa.text(RUNNING_CLOCK),
        sqlite_where=sa.text(RUNNING_CLOCK),
    )


def downgrade():
    for name in (
        "ix_applications_queue_running",
        "ix_applications_queue_assignee",
        "ix_applications_queue_service",
        "ix_applications_queue_state",
        "ix_applications_queue",
    ):
        op.drop_index(name, table_name="applications")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index("ix_applications_assignee_id", ["assignee_id"], unique=False)
        batch_op.create_index(
            "ix_applications_queue", ["authority_id", "state", "sla_due_date"], unique=False
        )
