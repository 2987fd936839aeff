"""password_resets: one-time links by e-mail and six-digit codes by SMS (app.accounts.resets)

Revision ID: 0036
Revises: 0034
"""

import sqlalchemy as sa
from alembic import op


revision = "0036"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=5), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_tries", sa.Integer(), nullable=False),
        sa.Column("requested_from", sa.String(length=45), nullable=True),
        sa.Column("initiated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "channel IN ('email', 'sms')", name=op.f("ck_password_resets_channel_known")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["initiated_by_id"], ["users.id"],
            name=op.f("fk_password_resets_initiated_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_password_resets_secret_hash")),
    )
    op.create_index(
        "ix_password_resets_user_created", "password_resets", ["user_id", "created_at"]
    )
    op.create_index(op.f("ix_password_resets_expires_at"), "password_resets", ["expires_at"])


def downgrade():
    op.drop_table("password_resets")
