"""applications.queue_band: the SLA band of the due date (breached, at risk, on track, none),
first in the staff queue's key, so that a priority applicant comes first at equal SLA state and
the queue stays an index range

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

PRIORITY_KEY = [sa.text("(sla_due_date IS NULL)"), "sla_due_date", sa.text("(-priority)"), "id"]
BAND_KEY = ["queue_band", sa.text("(-priority)"), "sla_due_date", "id"]
RUNNING_CLOCK = "sla_started_at IS NOT NULL AND sla_stopped_at IS NULL AND sla_paused_at IS NULL"
QUEUE_INDEXES = (
    ("ix_applications_queue", ["authority_id"], None),
    ("ix_applications_queue_state", ["authority_id", "state"], None),
    ("ix_applications_queue_service", ["service_id"], None),
    ("ix_applications_queue_assignee", ["assignee_id"], None),
    ("ix_applications_queue_running", ["authority_id"], RUNNING_CLOCK),
)
# Today and tomorrow in Muscat: the next working day is refined by the first refresh (every 15
# minutes, licensing.queue_bands), which reads each authority's calendar.
TODAY = {
    "postgresql": "(now() AT TIME ZONE 'Asia/Muscat')::date",
    "sqlite": "date('now', '+4 hours')",
}
TOMORROW = {
    "postgresql": "(now() AT TIME ZONE 'Asia/Muscat')::date + 1",
    "sqlite": "date('now', '+4 hours', '+1 day')",
}


def _queue_indexes(key) -> None:
    for name, first, where in QUEUE_INDEXES:
        partial = {}
        if where is not None:
            partial = {"postgresql_where": sa.text(where), "sqlite_where": sa.text(where)}
        op.create_index(name, "applications", [*first, *key], **partial)


def _drop_queue_indexes() -> None:
    for name, _, _ in QUEUE_INDEXES:
        op.drop_index(name, table_name="applications")


def upgrade():
    dialect = op.get_bind().dialect.name
    # First: SQLite's batch copy of the table cannot reflect the expression indexes.
    _drop_queue_indexes()
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("queue_band", sa.SmallInteger(), server_default="3", nullable=False)
        )
    op.execute(
        "UPDATE applications SET queue_band = CASE"
        " WHEN sla_due_date IS NULL THEN 3"
        f" WHEN sla_due_date < {TODAY[dialect]} THEN 0"
        f" WHEN sla_due_date <= {TOMORROW[dialect]} THEN 1"
        " ELSE 2 END"
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "queue_band_of_due_date", "(queue_band = 3) = (sla_due_date IS NULL)"
        )
    _queue_indexes(BAND_KEY)


def downgrade():
    _drop_queue_indexes()
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_constraint("queue_band_of_due_date", type_="check")
        batch_op.drop_column("queue_band")
    _queue_indexes(PRIORITY_KEY)
