"""applications and licence register

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 19:50:32.857864

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('number_sequences',
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('series', sa.String(length=20), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_number_sequences_authority_id_authorities')),
    sa.PrimaryKeyConstraint('authority_id', 'series', 'year', name=op.f('pk_number_sequences'))
    )
    op.create_table('licences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('family', sa.String(length=30), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=15), nullable=False),
    sa.Column('verification_code', sa.String(length=40), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('document_key', sa.String(length=100), nullable=True),
    sa.Column('reminders_sent', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_licences_authority_id_authorities')),
    sa.ForeignKeyConstraint(['holder_id'], ['users.id'], name=op.f('fk_licences_holder_id_users')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_licences_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licences')),
    sa.UniqueConstraint('number', name=op.f('uq_licences_number'))
    )
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.create_index('ix_licences_expiry', ['state', 'valid_until'], unique=False)
        batch_op.create_index(batch_op.f('ix_licences_holder_id'), ['holder_id'], unique=False)

    op.create_table('applications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('licence_id', sa.Integer(), nullable=True),
    sa.Column('family', sa.String(length=30), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=25), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('fee_baisa', sa.Integer(), nullable=False),
    sa.Column('inspection_date', sa.Date(), nullable=True),
    sa.Column('rejection_reason_ar', sa.Text(), nullable=True),
    sa.Column('rejection_reason_en', sa.Text(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_action_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sla_target_days', sa.Integer(), nullable=False),
    sa.Column('sla_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_paused_days', sa.Integer(), nullable=False),
    sa.Column('sla_stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_due_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['users.id'], name=op.f('fk_applications_applicant_id_users')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_applications_assignee_id_users')),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_applications_authority_id_authorities')),
    sa.ForeignKeyConstraint(['licence_id'], ['licences.id'], name=op.f('fk_applications_licence_id_licences')),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_applications_service_id_services')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('reference', name=op.f('uq_applications_reference'))
    )
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_applicant', ['applicant_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_applications_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_applications_queue', ['authority_id', 'state', 'sla_due_date'], unique=False)

    # licences and applications refer to each other: this key is added once both exist.
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.create_foreign_key(op.f('fk_licences_application_id_applications'), 'applications', ['application_id'], ['id'])

    op.create_table('application_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=25), nullable=False),
    sa.Column('to_state', sa.String(length=25), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_application_events_actor_id_users')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_events_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_events'))
    )
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_events_application_id'), ['application_id'], unique=False)

    op.create_table('application_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('author_role', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_messages_application_id_applications')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_application_messages_author_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_messages'))
    )
    with op.batch_alter_table('application_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_messages_application_id'), ['application_id'], unique=False)

    op.create_table('documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('document_code', sa.String(length=60), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_documents_application_id_applications')),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_documents_authority_id_authorities')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_documents_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_documents_storage_key'))
    )
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documents_application_id'), ['application_id'], unique=False)

    op.create_table('licence_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('licence_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_licence_revisions_application_id_applications')),
    sa.ForeignKeyConstraint(['licence_id'], ['licences.id'], name=op.f('fk_licence_revisions_licence_id_licences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_revisions'))
    )
    with op.batch_alter_table('licence_revisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_revisions_licence_id'), ['licence_id'], unique=False)




def downgrade():
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_licences_application_id_applications'), type_='foreignkey')

    with op.batch_alter_table('licence_revisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_revisions_licence_id'))

    op.drop_table('licence_revisions')
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_application_id'))

    op.drop_table('documents')
    with op.batch_alter_table('application_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_messages_application_id'))

    op.drop_table('application_messages')
    with op.batch_alter_table('application_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_events_application_id'))

    op.drop_table('application_events')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_queue')
        batch_op.drop_index(batch_op.f('ix_applications_assignee_id'))
        batch_op.drop_index('ix_applications_applicant')

    op.drop_table('applications')
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licences_holder_id'))
        batch_op.drop_index('ix_licences_expiry')

    op.drop_table('licences')
    op.drop_table('number_sequences')

