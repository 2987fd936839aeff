"""priority applicants and message reply targets: priority_declarations; users' verified
category; applications' priority, second to the due date in the queue's indexes; an applicant's
message's reply target, answer and escalation, with a partial index of those awaiting a reply

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

OLD_KEY = [sa.text("(sla_due_date IS NULL)"), "sla_due_date", "id"]
NEW_KEY = [sa.text("(sla_due_date IS NULL)"), "sla_due_date", sa.text("(-priority)"), "id"]
RUNNING_CLOCK = "sla_started_at IS NOT NULL AND sla_stopped_at IS NULL AND sla_paused_at IS NULL"
AWAITING_REPLY = "reply_due_date IS NOT NULL AND answered_at IS NULL AND escalated_at IS NULL"
QUEUE_INDEXES = (
    ("ix_applications_queue", ["authority_id"], None),
    ("ix_applications_queue_state", ["authority_id", "state"], None),
    ("ix_applications_queue_service", ["service_id"], None),
    ("ix_applications_queue_assignee", ["assignee_id"], None),
    ("ix_applications_queue_running", ["authority_id"], RUNNING_CLOCK),
)


def _queue_indexes(key) -> None:
    for name, first, where in QUEUE_INDEXES:
        partial = {} if where is None else {"postgresql_where": sa.text(where)}
        if where is not None:
            partial["sqlite_where"] = sa.text(where)
        op.create_index(name, "applications", [*first, *key], **partial)


def _drop_queue_indexes() -> None:
    for name, _, _ in QUEUE_INDEXES:
        op.drop_index(name, table_name="applications")


def upgrade():
    op.create_table(
        "priority_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("applicant_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["users.id"], name=op.f("fk_priority_declarations_applicant_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_priority_declarations_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_priority_declarations_decided_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_priority_declarations")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_priority_declarations_storage_key")),
    )
    op.create_index(
        op.f("ix_priority_declarations_applicant_id"), "priority_declarations", ["applicant_id"]
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority_category", sa.String(length=20), nullable=True))
    with op.batch_alter_table("application_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_due_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_application_messages_awaiting_reply",
        "application_messages",
        ["reply_due_date"],
        postgresql_where=sa.text(AWAITING_REPLY),
        sqlite_where=sa.text(AWAITING_REPLY),
    )
    _drop_queue_indexes()
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("priority", sa.SmallInteger(), server_default="0", nullable=False)
        )
    _queue_indexes(NEW_KEY)


def downgrade():
    # The expression indexes first: a batch operation on SQLite reflects the tables a table
    # refers to, and reflection cannot read them.
    _drop_queue_indexes()
    op.drop_index("ix_application_messages_awaiting_reply", table_name="application_messages")
    with op.batch_alter_table("application_messages", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("reply_due_date")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("priority_category")
    op.drop_table("priority_declarations")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("priority")
    _queue_indexes(OLD_KEY)
