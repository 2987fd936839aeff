"""escalations: the ladder's levels fired, once per (item, level, idle spell); refunds' last
action time; the partial indexes of the sweep's sources (app/escalation/sources.py)

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op


revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

APPLICATIONS_WAITING = (
    "state IN ('submitted', 'in_review', 'inspection_scheduled', 'inspected', 'approved')"
)
CASES_WAITING = "state IN ('received', 'acknowledged', 'in_study', 'escalated')"
REFUNDS_WAITING = "state IN ('submitted', 'under_review')"
UNANSWERED = "reply_due_date IS NOT NULL AND answered_at IS NULL"
REPLY_DUE = "reply_due_since IS NOT NULL"
# SQLite rebuilds the table: reflecting the tables its keys refer to would reach the applications
# and their expression index, which SQLAlchemy cannot reflect (a warning, an error in tests).
NO_FKS = {"resolve_fks": False}


def _partial(name, table, columns, where):
    op.create_index(
        name,
        table,
        columns,
        postgresql_where=sa.text(where),
        sqlite_where=sa.text(where),
    )


def upgrade():
    op.create_table(
        "escalations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("spell_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.String(40), nullable=False),
        sa.Column("authority_id", sa.Integer(), sa.ForeignKey("authorities.id"), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("services.id"), nullable=False),
        sa.Column("assignee_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("idle_days", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("position_id", sa.Integer(), sa.ForeignKey("positions.id"), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=True),
        sa.Column("channels", sa.JSON(), nullable=True),
        sa.UniqueConstraint("kind", "item_id", "level", "spell_start", name="uq_escalations_spell"),
    )
    op.create_index("ix_escalations_authority", "escalations", ["authority_id", "fired_at"])
    with op.batch_alter_table("refunds", reflect_kwargs=NO_FKS) as batch:
        batch.add_column(sa.Column("last_action_at", sa.DateTime(timezone=True), nullable=True))
    # The last step's time is not kept apart: the row's last change stands in for it.
    op.execute("UPDATE refunds SET last_action_at = COALESCE(updated_at, created_at)")
    with op.batch_alter_table("refunds", reflect_kwargs=NO_FKS) as batch:
        batch.alter_column(
            "last_action_at", existing_type=sa.DateTime(timezone=True), nullable=False
        )
    _partial("ix_refunds_waiting", "refunds", ["last_action_at"], REFUNDS_WAITING)
    _partial(
        "ix_applications_waiting_due",
        "applications",
        ["service_id", "sla_due_date"],
        APPLICATIONS_WAITING,
    )
    _partial("ix_cases_waiting_due", "cases", ["service_id", "sla_due_date"], CASES_WAITING)
    _partial("ix_cases_reply_due", "cases", ["service_id", "reply_due_since"], REPLY_DUE)
    _partial(
        "ix_application_messages_unanswered",
        "application_messages",
        ["reply_due_date"],
        UNANSWERED,
    )


def downgrade():
    op.drop_index("ix_application_messages_unanswered", table_name="application_messages")
    op.drop_index("ix_cases_reply_due", table_name="cases")
    op.drop_index("ix_cases_waiting_due", table_name="cases")
    op.drop_index("ix_applications_waiting_due", table_name="applications")
    op.drop_index("ix_refunds_waiting", table_name="refunds")
    with op.batch_alter_table("refunds", reflect_kwargs=NO_FKS) as batch:
        batch.drop_column("last_action_at")
    op.drop_index("ix_escalations_authority", table_name="escalations")
    op.drop_table("escalations")
