"""receipts: how the money moved, and issued documents never edited, enforced by the database

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Once issued, a receipt's row changes only to record its rendering, once.
_FROZEN = (
    "number", "kind", "authority_id", "payment_id", "receipt_for_payment", "refund_id",
    "refers_to_id", "payer_id", "amount_baisa", "issued_at", "payer_name", "payer_id_masked",
    "service_code", "service_name_ar", "service_name_en", "application_reference",
    "payment_method", "card_brand", "card_last4", "gateway_reference", "verification_code",
)


def upgrade():
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("payment_method", sa.String(length=15), nullable=False, server_default="card")
        )
    if op.get_bind().dialect.name == "postgresql":
        changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FROZEN)
        op.execute(f"""
            CREATE FUNCTION receipts_never_edited() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'receipts are never deleted';
                END IF;
                IF {changed}
                   OR (OLD.document_key IS NOT NULL
                       AND (NEW.document_key IS DISTINCT FROM OLD.document_key
                            OR NEW.document_sha256 IS DISTINCT FROM OLD.document_sha256)) THEN
                    RAISE EXCEPTION 'receipt % is issued and cannot be edited', OLD.number;
                END IF;
                RETURN NEW;
            END $$
        """)
        op.execute("""
            CREATE TRIGGER receipts_never_edited BEFORE UPDATE OR DELETE ON receipts
            FOR EACH ROW EXECUTE FUNCTION receipts_never_edited()
        """)
    else:  # SQLite: rows cannot be changed (the tests clear tables between tests with DELETE)
        changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN)
        op.execute(f"""
            CREATE TRIGGER receipts_never_edited BEFORE UPDATE ON receipts
            WHEN {changed}
                OR (OLD.document_key IS NOT NULL
                    AND (NEW.document_key IS NOT OLD.document_key
                         OR NEW.document_sha256 IS NOT OLD.document_sha256))
            BEGIN SELECT RAISE(ABORT, 'receipts are issued and cannot be edited'); END
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER receipts_never_edited ON receipts")
        op.execute("DROP FUNCTION receipts_never_edited()")
    else:
        op.execute("DROP TRIGGER receipts_never_edited")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_column("payment_method")
