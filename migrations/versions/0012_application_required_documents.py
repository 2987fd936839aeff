"""applications: the required documents as they were when the application was made

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("required_documents", sa.JSON(), nullable=True))
    # Applications made before this revision take the service's list as it stands now.
    bind = op.get_bind()
    documents = sa.table(
        "service_documents",
        sa.column("service_id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("name_ar", sa.String),
        sa.column("name_en", sa.String),
        sa.column("mandatory", sa.Boolean),
        sa.column("position", sa.Integer),
    )
    applications = sa.table(
        "applications",
        sa.column("id", sa.Integer),
        sa.column("service_id", sa.Integer),
        sa.column("required_documents", sa.JSON),
    )
    by_service: dict[int, list[dict]] = {}
    for row in bind.execute(
        sa.select(documents).order_by(documents.c.service_id, documents.c.position)
    ):
        by_service.setdefault(row.service_id, []).append(
            {"code": row.code, "name_ar": row.name_ar, "name_en": row.name_en,
             "mandatory": bool(row.mandatory)}
        )
    for service_id, listed in by_service.items():
        bind.execute(
            sa.update(applications)
            .where(applications.c.service_id == service_id)
            .values(required_documents=listed)
        )
    bind.execute(
        sa.update(applications)
        .where(applications.c.required_documents.is_(None))
        .values(required_documents=[])
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.alter_column("required_documents", existing_type=sa.JSON(), nullable=False)


def downgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("required_documents")
