"""cases: complaints, suggestions and comments, inquiries and support tickets (one table with a
kind), their timeline, thread and evidence files; the Open311 API keys of civic apps (issue 14)

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

QUEUE_KEY = [sa.text("(sla_due_date IS NULL)"), "sla_due_date", "id"]
WAITING = sa.text("state IN ('received', 'acknowledged', 'in_study', 'escalated')")


def upgrade():
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=15), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("contact_account_id", sa.Integer(), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=16), nullable=True),
        sa.Column("access_token_hash", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=True),
        sa.Column("classification", sa.String(length=15), nullable=False),
        sa.Column("incident_place", sa.String(length=300), nullable=True),
        sa.Column("incident_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("party_kind", sa.String(length=10), nullable=True),
        sa.Column("party_name", sa.String(length=200), nullable=True),
        sa.Column("party_cr_number", sa.String(length=20), nullable=True),
        sa.Column("tajawob_reference", sa.String(length=40), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answer_language", sa.String(length=2), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_count", sa.Integer(), nullable=False),
        sa.Column("forwarded_from_id", sa.Integer(), nullable=True),
        sa.Column("forwarded_to_id", sa.Integer(), nullable=True),
        sa.Column("last_action_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reply_due_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_target_days", sa.Integer(), nullable=False),
        sa.Column("sla_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_paused_days", sa.Integer(), nullable=False),
        sa.Column("sla_stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sla_due_date", sa.Date(), nullable=True),
        sa.Column(
            "moderation_state", sa.String(length=10), server_default="pending", nullable=False
        ),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderation_reason", sa.Text(), nullable=True),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_cases_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authorities.id"], name=op.f("fk_cases_authority_id_authorities")
        ),
        sa.ForeignKeyConstraint(
            ["contact_account_id"], ["users.id"], name=op.f("fk_cases_contact_account_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"], ["departments.id"], name=op.f("fk_cases_department_id_departments")
        ),
        sa.ForeignKeyConstraint(
            ["filed_by_id"], ["users.id"], name=op.f("fk_cases_filed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["forwarded_from_id"], ["cases.id"], name=op.f("fk_cases_forwarded_from_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["forwarded_to_id"], ["cases.id"], name=op.f("fk_cases_forwarded_to_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"], ["users.id"], name=op.f("fk_cases_moderated_by_id_users")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["users.id"], name=op.f("fk_cases_person_id_users")),
        sa.ForeignKeyConstraint(
            ["service_id"], ["services.id"], name=op.f("fk_cases_service_id_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("reference", name=op.f("uq_cases_reference")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index("ix_cases_person", ["person_id", "id"], unique=False)
        batch_op.create_index(
            "ix_cases_waiting",
            ["service_id", "last_action_at"],
            unique=False,
            postgresql_where=WAITING,
            sqlite_where=WAITING,
        )
    op.create_index("ix_cases_queue", "cases", ["authority_id", *QUEUE_KEY])

    op.create_table(
        "case_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=15), nullable=False),
        sa.Column("to_state", sa.String(length=15), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_case_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
    )
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_events_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_case_evidence_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_evidence_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_case_evidence_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_evidence")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_case_evidence_storage_key")),
    )
    with op.batch_alter_table("case_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_evidence_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_case_messages_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_messages_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_messages")),
    )
    with op.batch_alter_table("case_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_messages_case_id"), ["case_id"], unique=False)


    op.create_table(
        "open311_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_open311_keys_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_keys_key_hash")),
    )


def downgrade():
    op.drop_table("open311_keys")
    for table in ("case_messages", "case_evidence", "case_events"):
        op.drop_table(table)
    op.drop_index("ix_cases_queue", table_name="cases")
    op.drop_table("cases")
