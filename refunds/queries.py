"""Refunds as people may see them: one refund, the lists, what counts against a payment, and
the role a caller takes on a refund."""

from __future__ import annotations

import sqlalchemy as sa

from app.access import role_on_record
from app.accounts.models import Role, User
from app.errors import NotFound
from app.extensions import db
from app.workflow import SYSTEM
from payments.models import Payment
from refunds import states as rl
from refunds.models import Refund


def committed_baisa(payment_id: int, excluding: int | None = None) -> int:
    """What the payment's refunds approved, processing, refunded or failed (retryable) take of
    it, leaving out the refund `excluding`."""
    query = sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_approved), 0)).where(
        Refund.payment_id == payment_id, Refund.state.in_(rl.COMMITTED)
    )
    if excluding is not None:
        query = query.where(Refund.id != excluding)
    return db.session.scalar(query)


def locked_payment(payment_id: int) -> Payment:
    """The payment, locked until the unit of work ends: what serialises promises of its money."""
    payment = db.session.scalar(
        sa.select(Payment).where(Payment.id == payment_id).with_for_update()
    )
    if payment is None:
        raise NotFound()
    return payment


def role_of(refund: Refund, actor: User | str) -> str:
    """The role `actor` takes on the refund (`SYSTEM` for our own code); 404 for one who may
    not see it."""
    if actor == SYSTEM:
        return SYSTEM
    return role_on_record(actor, refund.applicant_id, refund.authority_id)


def locked_refund(actor: User, refund_id: int) -> Refund:
    refund = db.session.scalar(sa.select(Refund).where(Refund.id == refund_id).with_for_update())
    if refund is None:
        raise NotFound()
    role_of(refund, actor)
    return refund


def get_refund(actor: User, refund_id: int) -> Refund:
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        raise NotFound()
    role_of(refund, actor)
    return refund


def may_see_iban(actor: User, refund: Refund) -> bool:
    """Finance staff of the authority see the full IBAN (they make the transfer); everyone
    else, the applicant included, a masked one."""
    return actor.role == Role.FINANCE and actor.authority_id == refund.authority_id


def refunds_query(actor: User, state: str | None) -> sa.Select:
    """Applicants: all their refunds, newest first. Finance: the authority's queue by SLA due
    date, open refunds only (refunded, rejected and withdrawn ones when asked by `state`)."""
    query = sa.select(Refund)
    if actor.role == Role.APPLICANT:
        return query.where(Refund.applicant_id == actor.id).order_by(Refund.id.desc())
    query = query.where(Refund.authority_id == actor.authority_id)
    if state:
        query = query.where(Refund.state == state)
    else:  # closed ones stay while a gateway discrepancy awaits finance
        query = query.where(sa.or_(Refund.state.not_in(rl.CLOSED), Refund.attention.is_not(None)))
    return query.order_by(Refund.sla_due_date.is_(None), Refund.sla_due_date, Refund.id)
