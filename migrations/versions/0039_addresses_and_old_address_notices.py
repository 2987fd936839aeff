"""users.address (an Omani address, corrected by its owner) and notifications.to_address (a notice
to the old e-mail or phone when an account's changes)

Revision ID: 0039
Revises: 0038
"""

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("address", sa.JSON(), nullable=True))
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("to_address", sa.String(length=254), nullable=True))


def downgrade():
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("to_address")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("address")
