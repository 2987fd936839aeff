"""terms_versions and terms_acceptances: each authority's terms of use and privacy notice in
versions, and each user's acceptance with its time and address (app.accounts.terms)

Revision ID: 0037
Revises: 0036
"""

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "terms_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("terms_ar", sa.Text(), nullable=False),
        sa.Column("terms_en", sa.Text(), nullable=False),
        sa.Column("privacy_ar", sa.Text(), nullable=False),
        sa.Column("privacy_en", sa.Text(), nullable=False),
        sa.Column("summary_ar", sa.String(length=500), nullable=False),
        sa.Column("summary_en", sa.String(length=500), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.CheckConstraint("version > 0", name=op.f("ck_terms_versions_version_positive")),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authorities.id"], name=op.f("fk_terms_versions_authority_id_authorities")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_terms_versions_published_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_versions")),
        sa.UniqueConstraint(
            "authority_id", "version", name="uq_terms_versions_authority_version"
        ),
    )
    op.create_index(
        "uq_terms_versions_current",
        "terms_versions",
        ["authority_id"],
        unique=True,
        postgresql_where=sa.text("is_current"),
        sqlite_where=sa.text("is_current"),
    )
    op.create_table(
        "terms_acceptances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("terms_version_id", sa.Integer(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=300), nullable=True),
        sa.Column("how", sa.String(length=12), nullable=False),
        sa.CheckConstraint(
            "how IN ('registration', 'asked')", name=op.f("ck_terms_acceptances_how_known")
        ),
        sa.ForeignKeyConstraint(
            ["terms_version_id"], ["terms_versions.id"],
            name=op.f("fk_terms_acceptances_terms_version_id_terms_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_terms_acceptances_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_terms_acceptances")),
        sa.UniqueConstraint(
            "user_id", "terms_version_id", name="uq_terms_acceptances_user_version"
        ),
    )
    op.create_index(
        op.f("ix_terms_acceptances_user_id"), "terms_acceptances", ["user_id"]
    )


def downgrade():
    op.drop_table("terms_acceptances")
    op.drop_table("terms_versions")
