from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.extensions import db
from app.models import SlaTracked, StoredFileColumns, TimelineEntry, Timestamped
from app.timeutil import UTCDateTime, utcnow
from payments.models import Payment

# The states in which the next move is finance's (app.escalation.sources.REFUND_WAITING).
WAITING_ON_FINANCE_SQL = "state IN ('submitted', 'under_review')"


class Refund(SlaTracked, Timestamped, db.Model):
    """A request to give back (part of) a succeeded payment, its review and its payment back."""

    __tablename__ = "refunds"
    __table_args__ = (
        sa.Index("ix_refunds_queue", "authority_id", "state", "sla_due_date"),
        # The escalation ladder's way in (app/escalation/sources.py): refunds waiting on finance.
        sa.Index(
            "ix_refunds_waiting",
            "last_action_at",
            postgresql_where=sa.text(WAITING_ON_FINANCE_SQL),
            sqlite_where=sa.text(WAITING_ON_FINANCE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(
        sa.String(40), unique=True
    )  # also the gateway idempotency key
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    payment_id: Mapped[int] = mapped_column(sa.ForeignKey("payments.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)  # the payer
    requested_by_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id")
    )  # payer, or finance for them
    state: Mapped[str] = mapped_column(sa.String(20))
    amount_requested: Mapped[int]
    amount_approved: Mapped[int | None]
    reason: Mapped[str] = mapped_column(sa.String(40))
    reason_text: Mapped[str | None] = mapped_column(sa.Text)
    method: Mapped[str] = mapped_column(sa.String(15))  # card, bank_transfer
    iban: Mapped[str | None] = mapped_column(sa.String(34))
    account_holder: Mapped[str | None] = mapped_column(sa.String(200))
    # Who entered the IBAN: above the four-eyes threshold they cannot also complete the transfer.
    destination_set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    first_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    second_approver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rejection_reason_ar: Mapped[str | None] = mapped_column(sa.Text)
    rejection_reason_en: Mapped[str | None] = mapped_column(sa.Text)
    gateway_refund_id: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    gateway_attempts: Mapped[int] = mapped_column(default=0)  # calls to create a refund
    # Each round (the first send, then each retry after the gateway failed it) has its own
    # idempotency key: the reference, then "<reference>-<round>".
    gateway_round: Mapped[int] = mapped_column(default=1, server_default="1")
    gateway_key: Mapped[str | None] = mapped_column(sa.String(60))
    key_first_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A gateway answer that contradicts our record (a success after a failure, a superseded
    # Stripe refund that went through): kept for finance, never applied on its own.
    attention: Mapped[str | None] = mapped_column(sa.String(300))
    transfer_reference: Mapped[str | None] = mapped_column(sa.String(100))
    failure_reason: Mapped[str | None] = mapped_column(sa.String(300))
    refunded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Every step's time (refunds.effects.move_clock): the escalation ladder's idle spell starts
    # at the last one.
    last_action_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    payment: Mapped[Payment] = relationship()

    @property
    def idempotency_key(self) -> str:
        """The key of the current round of gateway calls."""
        if self.gateway_round == 1:
            return self.reference
        return f"{self.reference}-{self.gateway_round}"

    applicant: Mapped[User] = relationship(foreign_keys=[applicant_id])


class RefundFile(StoredFileColumns, db.Model):
    """Evidence the applicant gave (bank statement, transaction receipt) or finance's proof of a
    bank transfer."""

    __tablename__ = "refund_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(sa.ForeignKey("refunds.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))


class RefundEvent(TimelineEntry, db.Model):
    """The refund's timeline."""

    __tablename__ = "refund_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(sa.ForeignKey("refunds.id"), index=True)
    from_state: Mapped[str] = mapped_column(sa.String(20))
    to_state: Mapped[str] = mapped_column(sa.String(20))
