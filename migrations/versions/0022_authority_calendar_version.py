"""authorities.calendar_version: changes whenever the authority's holidays change, so that each
process knows when the calendar it keeps in memory is out of date

Revision ID: 0022
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("authorities", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("calendar_version", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade():
    # Not in batch mode: on SQLite that copies the table and drops the old one, which the
    # seeded rows referring to their authority (services, calendar days) forbid. SQLite 3.35+
    # drops a plain column in place.
    op.drop_column("authorities", "calendar_version")
