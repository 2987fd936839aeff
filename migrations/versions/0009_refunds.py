"""refunds

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 20:27:08.023636

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('applicant_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('amount_requested', sa.Integer(), nullable=False),
    sa.Column('amount_approved', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('method', sa.String(length=15), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=True),
    sa.Column('account_holder', sa.String(length=200), nullable=True),
    sa.Column('first_approver_id', sa.Integer(), nullable=True),
    sa.Column('second_approver_id', sa.Integer(), nullable=True),
    sa.Column('rejection_reason_ar', sa.Text(), nullable=True),
    sa.Column('rejection_reason_en', sa.Text(), nullable=True),
    sa.Column('gateway_refund_id', sa.String(length=100), nullable=True),
    sa.Column('gateway_attempts', sa.Integer(), nullable=False),
    sa.Column('transfer_reference', sa.String(length=100), nullable=True),
    sa.Column('failure_reason', sa.String(length=300), nullable=True),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_target_days', sa.Integer(), nullable=False),
    sa.Column('sla_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_paused_days', sa.Integer(), nullable=False),
    sa.Column('sla_stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sla_due_date', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['applicant_id'], ['users.id'], name=op.f('fk_refunds_applicant_id_users')),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_refunds_authority_id_authorities')),
    sa.ForeignKeyConstraint(['first_approver_id'], ['users.id'], name=op.f('fk_refunds_first_approver_id_users')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refunds_payment_id_payments')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_refunds_requested_by_id_users')),
    sa.ForeignKeyConstraint(['second_approver_id'], ['users.id'], name=op.f('fk_refunds_second_approver_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('gateway_refund_id', name=op.f('uq_refunds_gateway_refund_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_refunds_reference'))
    )
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refunds_applicant_id'), ['applicant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_refunds_payment_id'), ['payment_id'], unique=False)
        batch_op.create_index('ix_refunds_queue', ['authority_id', 'state', 'sla_due_date'], unique=False)

    op.create_table('refund_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_role', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=False),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_refund_events_actor_id_users')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_events_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_events'))
    )
    with op.batch_alter_table('refund_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_events_refund_id'), ['refund_id'], unique=False)

    op.create_table('refund_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=100), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_files_refund_id_refunds')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_refund_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_files')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_refund_files_storage_key'))
    )
    with op.batch_alter_table('refund_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_files_refund_id'), ['refund_id'], unique=False)




def downgrade():

    with op.batch_alter_table('refund_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_files_refund_id'))

    op.drop_table('refund_files')
    with op.batch_alter_table('refund_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refund_events_refund_id'))

    op.drop_table('refund_events')
    with op.batch_alter_table('refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_refunds_queue')
        batch_op.drop_index(batch_op.f('ix_refunds_payment_id'))
        batch_op.drop_index(batch_op.f('ix_refunds_applicant_id'))

    op.drop_table('refunds')

