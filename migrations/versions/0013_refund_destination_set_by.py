"""refunds: who entered the IBAN a bank transfer goes to

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("destination_set_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_refunds_destination_set_by_id_users"),
            "users",
            ["destination_set_by_id"],
            ["id"],
        )
    # Existing bank transfers: the IBAN came with the request.
    op.execute(
        "UPDATE refunds SET destination_set_by_id = requested_by_id "
        "WHERE method = 'bank_transfer'"
    )


def downgrade():
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_refunds_destination_set_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("destination_set_by_id")
