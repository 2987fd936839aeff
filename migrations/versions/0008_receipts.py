"""receipts

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 20:17:25.628358

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=30), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('authority_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('receipt_for_payment', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('refers_to_id', sa.Integer(), nullable=True),
    sa.Column('payer_id', sa.Integer(), nullable=False),
    sa.Column('amount_baisa', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payer_name', sa.String(length=200), nullable=False),
    sa.Column('payer_id_masked', sa.String(length=20), nullable=False),
    sa.Column('service_code', sa.String(length=40), nullable=False),
    sa.Column('service_name_ar', sa.String(length=300), nullable=False),
    sa.Column('service_name_en', sa.String(length=300), nullable=False),
    sa.Column('application_reference', sa.String(length=30), nullable=False),
    sa.Column('card_brand', sa.String(length=20), nullable=True),
    sa.Column('card_last4', sa.String(length=4), nullable=True),
    sa.Column('gateway_reference', sa.String(length=100), nullable=True),
    sa.Column('verification_code', sa.String(length=40), nullable=False),
    sa.Column('document_key', sa.String(length=100), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.CheckConstraint("kind IN ('receipt', 'credit_note')", name=op.f('ck_receipts_kind_known')),
    sa.ForeignKeyConstraint(['authority_id'], ['authorities.id'], name=op.f('fk_receipts_authority_id_authorities')),
    sa.ForeignKeyConstraint(['payer_id'], ['users.id'], name=op.f('fk_receipts_payer_id_users')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_receipts_payment_id_payments')),
    sa.ForeignKeyConstraint(['refers_to_id'], ['receipts.id'], name=op.f('fk_receipts_refers_to_id_receipts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_receipts')),
    sa.UniqueConstraint('number', name=op.f('uq_receipts_number')),
    sa.UniqueConstraint('receipt_for_payment', name=op.f('uq_receipts_receipt_for_payment')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_receipts_refund_id'))
    )
    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipts_authority_id'), ['authority_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_payer_id'), ['payer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_receipts_payment_id'), ['payment_id'], unique=False)




def downgrade():

    with op.batch_alter_table('receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipts_payment_id'))
        batch_op.drop_index(batch_op.f('ix_receipts_payer_id'))
        batch_op.drop_index(batch_op.f('ix_receipts_authority_id'))

    op.drop_table('receipts')

