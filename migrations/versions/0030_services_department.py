"""services: the department that handles each (app.catalogue.departments), backfilled from the
service's family; escalation goes to its head by default and the SLA report groups by it

Revision ID: 0030
Revises: 0029
"""

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# As app.catalogue.departments.FAMILY_DEPARTMENTS on the day of this migration; support tickets
# (the case services ending in -TICKET) go to IT.
FAMILIES = {
    "lease": "licensing",
    "municipal_licence": "licensing",
    "temporary_licence": "licensing",
    "certificate": "licensing",
    "inspection": "licensing",
    "health_card": "health",
    "vehicle_signage": "health",
    "building_permit": "engineering",
    "complaint": "customer_service",
    "general": "customer_service",
}


def upgrade():
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
    whens = " ".join(f"WHEN '{family}' THEN '{code}'" for family, code in FAMILIES.items())
    op.execute(
        "UPDATE services SET department_id = (SELECT d.id FROM departments d"
        " WHERE d.authority_id = services.authority_id AND d.code ="
        f" CASE WHEN services.code LIKE '%-TICKET' THEN 'it' ELSE CASE services.family {whens}"
        " ELSE 'customer_service' END END)"
    )
    with op.batch_alter_table("services") as batch:
        batch.alter_column("department_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            "fk_services_department_id_departments", "departments", ["department_id"], ["id"]
        )
        batch.create_index("ix_services_department_id", ["department_id"])


def downgrade():
    with op.batch_alter_table("services") as batch:
        batch.drop_index("ix_services_department_id")
        batch.drop_constraint("fk_services_department_id_departments", type_="foreignkey")
        batch.drop_column("department_id")
