from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.authorities.models import Authority
from app.extensions import db
from app.timeutil import UTCDateTime, utcnow


class Receipt(db.Model):
    """A receipt for a succeeded payment, or a credit note for a succeeded refund.

    Financial documents: numbered without gaps per authority, series and year, in the transaction
    that creates them; never edited (a correction is a new document that refers to this one): the
    database refuses any change but recording the rendering once, and any delete (migration 0011).
    What the document shows is copied onto the row when it is issued.
    """

    __tablename__ = "receipts"
    __table_args__ = (sa.CheckConstraint("kind IN ('receipt', 'credit_note')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    # One receipt per payment, one credit note per refund: enforced by these unique keys.
    receipt_for_payment: Mapped[int | None] = mapped_column(unique=True)
    refund_id: Mapped[int | None] = mapped_column(unique=True)
    refers_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("receipts.id"))
    payer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    amount_baisa: Mapped[int]  # negative for a credit note
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    payer_name: Mapped[str] = mapped_column(sa.String(200))
    payer_id_masked: Mapped[str] = mapped_column(sa.String(20))
    service_code: Mapped[str] = mapped_column(sa.String(40))
    service_name_ar: Mapped[str] = mapped_column(sa.String(300))
    service_name_en: Mapped[str] = mapped_column(sa.String(300))
    application_reference: Mapped[str] = mapped_column(sa.String(30))
    # How the money moved: card (through the gateway) or bank_transfer (a refund paid by transfer).
    payment_method: Mapped[str] = mapped_column(
        sa.String(15), default="card", server_default="card"
    )
    card_brand: Mapped[str | None] = mapped_column(sa.String(20))
    card_last4: Mapped[str | None] = mapped_column(sa.String(4))
    gateway_reference: Mapped[str | None] = mapped_column(sa.String(100))
    verification_code: Mapped[str] = mapped_column(sa.String(40))
    document_key: Mapped[str | None] = mapped_column(sa.String(100))
    document_sha256: Mapped[str | None] = mapped_column(sa.String(64))

    authority: Mapped[Authority] = relationship()
    refers_to: Mapped[Receipt | None] = relationship(remote_side=[id])
