"""breach_explanations: why an application (later a refund or a case) missed its SLA target and
what is being done, recorded by the staff responsible (issue 15)

Revision ID: 0034
Revises: 0033
"""

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "breach_explanations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=30), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("reason_ar", sa.Text(), nullable=True),
        sa.Column("reason_en", sa.Text(), nullable=True),
        sa.Column("remedy_ar", sa.Text(), nullable=True),
        sa.Column("remedy_en", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"]),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_breach_explanations_subject", "breach_explanations", ["subject_type", "subject_id"]
    )
    op.create_index(
        "ix_breach_explanations_authority", "breach_explanations", ["authority_id", "created_at"]
    )


def downgrade():
    op.drop_index("ix_breach_explanations_authority", table_name="breach_explanations")
    op.drop_index("ix_breach_explanations_subject", table_name="breach_explanations")
    op.drop_table("breach_explanations")
