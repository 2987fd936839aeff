"""service catalogue: services with targets, escalation and fees, and their required documents

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 19:34:21.649124

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('name_ar', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('search_ar', sa.Text(), nullable=False),
    sa.Column('search_en', sa.Text(), nullable=False),
    sa.Column('description_ar', sa.Text(), nullable=False),
    sa.Column('description_en', sa.Text(), nullable=False),
    sa.Column('family', sa.Enum('lease', 'health_card', 'vehicle_signage', 'building_permit', 'municipal_licence', 'temporary_licence', 'inspection', 'certificate', 'complaint', 'general', name='servicefamily', native_enum=False, length=30), nullable=False),
    sa.Column('action', sa.Enum('register', 'renew', 'amend', 'cancel', 'other', name='serviceaction', native_enum=False, length=30), nullable=False),
    sa.Column('sla_days', sa.Integer(), nullable=False),
    sa.Column('sla_note_ar', sa.Text(), nullable=True),
    sa.Column('sla_note_en', sa.Text(), nullable=True),
    sa.Column('escalation_days', sa.Integer(), nullable=True),
    sa.Column('escalate_to', sa.String(length=20), nullable=True),
    sa.Column('fee_baisa', sa.Integer(), nullable=False),
    sa.Column('fee_is_placeholder', sa.Boolean(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('escalation_days IS NULL OR escalation_days > 0', name=op.f('ck_services_escalation_days_positive')),
    sa.CheckConstraint('fee_baisa >= 0', name=op.f('ck_services_fee_not_negative')),
    sa.CheckConstraint('sla_days >= 0', name=op.f('ck_services_sla_days_not_negative')),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_services_authority_id_authorities')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_services')),
    sa.UniqueConstraint('code', name=op.f('uq_services_code'))
    )
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_services_authority_id'), ['authority_id'], unique=False)

    op.create_table('service_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=60), nullable=False),
    sa.Column('name_ar', sa.String(length=300), nullable=False),
    sa.Column('name_en', sa.String(length=300), nullable=False),
    sa.Column('mandatory', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_service_documents_service_id_services'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_documents')),
    sa.UniqueConstraint('service_id', 'code', name='uq_service_documents_service_code')
    )
    with op.batch_alter_table('service_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_documents_service_id'), ['service_id'], unique=False)



def downgrade():
    with op.batch_alter_table('service_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_documents_service_id'))

    op.drop_table('service_documents')
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_services_authority_id'))

    op.drop_table('services')
