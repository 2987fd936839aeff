"""payments

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 20:08:58.558493

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('idempotent_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_idempotent_requests_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotent_requests')),
    sa.UniqueConstraint('user_id', 'key', name='uq_idempotent_requests_user_key')
    )
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('amount_baisa', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('gateway_intent_id', sa.String(length=100), nullable=True),
    sa.Column('client_secret', sa.String(length=200), nullable=True),
    sa.Column('gateway_charge_id', sa.String(length=100), nullable=True),
    sa.Column('card_brand', sa.String(length=20), nullable=True),
    sa.Column('card_last4', sa.String(length=4), nullable=True),
    sa.Column('failure_code', sa.String(length=100), nullable=True),
    sa.Column('failure_message', sa.String(length=500), nullable=True),
    sa.Column('succeeded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_payments_application_id_applications')),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_payments_authority_id_authorities')),
    sa.ForeignKeyConstraint(['payer_id'], ['users.id'], name=op.f('fk_payments_payer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('gateway_intent_id', name=op.f('uq_payments_gateway_intent_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_payments_reference'))
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_payments_authority_created', ['authority_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_payments_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index('ix_payments_state_updated', ['state', 'updated_at'], unique=False)

    op.create_table('payment_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('gateway_event_id', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=60), nullable=False),
    sa.Column('gateway_intent_id', sa.String(length=100), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_payment_events_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events')),
    sa.UniqueConstraint('gateway_event_id', name=op.f('uq_payment_events_gateway_event_id'))
    )
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_events_gateway_intent_id'), ['gateway_intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_events_payment_id'), ['payment_id'], unique=False)

    op.create_table('reconciliation_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('local_state', sa.String(length=12), nullable=False),
    sa.Column('gateway_state', sa.String(length=40), nullable=True),
    sa.Column('repaired', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_reconciliation_findings_authority_id_authorities')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_reconciliation_findings_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_findings'))
    )
    with op.batch_alter_table('reconciliation_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_findings_authority_id'), ['authority_id'], unique=False)




def downgrade():

    with op.batch_alter_table('reconciliation_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_findings_authority_id'))

    op.drop_table('reconciliation_findings')
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_events_payment_id'))
        batch_op.drop_index(batch_op.f('ix_payment_events_gateway_intent_id'))

    op.drop_table('payment_events')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_state_updated')
        batch_op.drop_index(batch_op.f('ix_payments_payer_id'))
        batch_op.drop_index('ix_payments_authority_created')
        batch_op.drop_index(batch_op.f('ix_payments_application_id'))

    op.drop_table('payments')
    op.drop_table('idempotent_requests')

