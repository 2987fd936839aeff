"""working-day calendar: holiday overrides and the calendar table with running day numbers

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "holiday_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name_ar", sa.String(length=200), nullable=True),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('declared', 'cancelled')", name=op.f("ck_holiday_overrides_kind_known")),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"], name=op.f("fk_holiday_overrides_authority_id_authorities")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_holiday_overrides_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holiday_overrides")),
    )
    with op.batch_alter_table("holiday_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_holiday_overrides_authority_id"), ["authority_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_holiday_overrides_day"), ["day"], unique=False)

    op.create_table(
        "calendar_days",
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_working", sa.Boolean(), nullable=False),
        sa.Column("working_day_number", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=10), nullable=True),
        sa.Column("name_en", sa.String(length=200), nullable=True),
        sa.Column("name_ar", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["authority_id"], ["authorities.id"], name=op.f("fk_calendar_days_authority_id_authorities")),
        sa.PrimaryKeyConstraint("authority_id", "day", name=op.f("pk_calendar_days")),
    )
    with op.batch_alter_table("calendar_days", schema=None) as batch_op:
        batch_op.create_index("ix_calendar_days_number", ["authority_id", "working_day_number"], unique=False)


def downgrade():
    with op.batch_alter_table("calendar_days", schema=None) as batch_op:
        batch_op.drop_index("ix_calendar_days_number")
    op.drop_table("calendar_days")
    with op.batch_alter_table("holiday_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_holiday_overrides_day"))
        batch_op.drop_index(batch_op.f("ix_holiday_overrides_authority_id"))
    op.drop_table("holiday_overrides")
