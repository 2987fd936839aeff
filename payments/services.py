"""Use cases of payments: start (or resume) paying an application's fee, and the answers kept for
`Idempotency-Key` requests.

Starting is record → call → record: the payment row is recorded (and the application's row lock
released) in a first transaction, the gateway is called with no transaction open, and what it
made is recorded in a second. A gateway that cannot be reached leaves a pending row without its
gateway object; the same request later (same application, so the same reference and
idempotency key) resumes that row and makes one object.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app import uow
from app.accounts.models import User
from app.audit import record_change
from app.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.timeutil import utcnow
from licensing.lifecycle import State
from licensing.models import Application
from licensing.services import get_application
from payments import gateways, lifecycle
from payments.gateways.base import Checkout, GatewayRefused, GatewayUnavailable, ReturnUrls
from payments.models import IdempotentRequest, Payment
from payments.webhooks import process_event  # noqa: F401 - jobs queued before the move name it here

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
NOT_PAYABLE = N_("This application is not waiting for a payment.")
GATEWAY_NOT_OFFERED = N_("This payment gateway is not offered for this application.")


def payment_reference(application: Application) -> str:
    """Deterministic per attempt: a retry after an outage asks the gateway with the same
    idempotency key, so an object it made before timing out is found, not made twice."""
    closed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Payment)
        .where(
            Payment.application_id == application.id,
            Payment.state.in_([lifecycle.CANCELED, lifecycle.EXPIRED]),
        )
    )
    return f"pay-{application.reference}-{closed + 1}"


def open_payment(application_id: int) -> Payment | None:
    return db.session.scalar(
        sa.select(Payment).where(
            Payment.application_id == application_id, Payment.state.in_(lifecycle.OPEN)
        )
    )


@dataclass(frozen=True)
class _Attempt:
    """What the gateway call needs, read inside the first transaction (no row is touched
    after it ends, so nothing lazily opens a transaction around the call)."""

    payment_id: int
    gateway: str
    amount_baisa: int
    reference: str
    description: str
    metadata: dict[str, str]
    resumed: bool  # a row recorded earlier, whose gateway call had not been recorded
    recorded_at: dt.datetime


def start_payment(
    user: User,
    application_id: int,
    gateway: str | None = None,
    on_created: Callable[[Payment], None] | None = None,
) -> tuple[Payment, bool]:
    """The open payment of the application, or a new one through `gateway` (the authority's
    default when None; 422 when it does not offer it), and whether this call made its gateway
    object. 503 (Retry-After) when the gateway cannot be reached: the row is kept, and the same
    request later completes it with the same reference. `on_created` runs in the transaction that
    records the gateway's object (the route keeps its `Idempotency-Key` answer there)."""
    with uow.transaction():
        found, attempt = _record_attempt(user, application_id, gateway)
    if attempt is None:
        return found, False
    checkout = _call_gateway(attempt, application_id)
    with uow.transaction():
        payment = db.session.scalar(
            sa.select(Payment)
            .where(Payment.id == attempt.payment_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if payment.gateway_intent_id is not None:  # a twin request recorded it first
            return payment, False
        _record_checkout(payment, checkout)
        if on_created is not None:
            on_created(payment)
    return payment, True


def _record_attempt(
    user: User, application_id: int, gateway: str | None
) -> tuple[Payment | None, _Attempt | None]:
    """Transaction 1, under the application's row lock (twin requests wait here for each
    other): the open payment with its gateway object (nothing to call), or the attempt to make."""
    application = get_application(user, application_id)
    if application.applicant_id != user.id:
        raise NotFound()
    application = db.session.scalar(
        sa.select(Application)
        .where(Application.id == application_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if application.state != State.PAYMENT_PENDING:
        raise Conflict(code="not_payable", detail=NOT_PAYABLE)
    chosen = _chosen(application, gateway)
    payment = open_payment(application.id)  # the open one is given back, whichever its gateway
    if payment is not None and payment.gateway_intent_id is not None:
        return payment, None
    resumed = payment is not None
    if payment is None:
        payment = _new_payment(application, user, chosen)
        if payment.gateway_intent_id is not None:  # a twin's, recorded meanwhile (SQLite)
            return payment, None
    return None, _Attempt(
        payment.id,
        payment.gateway,
        payment.amount_baisa,
        payment.reference,
        f"{application.reference} {application.service.name_en}",
        # Named by the reference, not the row id: the retry must send the very same parameters
        # with the same key (Stripe refuses a key reused with other parameters).
        {
            "application": application.reference,
            "authority": application.authority.code,
            "payment": payment.reference,
        },
        resumed,
        payment.created_at,
    )


def _chosen(application: Application, gateway: str | None) -> str:
    offered = gateways.offered(application.authority.code)
    if gateway is None:
        return offered[0]
    if gateway not in offered:
        raise ValidationFailed({"gateway": [GATEWAY_NOT_OFFERED]})
    return gateway


def _new_payment(application: Application, user: User, gateway: str) -> Payment:
    payment = Payment(
        reference=payment_reference(application),
        authority_id=application.authority_id,
        application_id=application.id,
        payer_id=user.id,
        amount_baisa=application.fee_baisa,
        currency=gateways.plugin(gateway).currency,
        gateway=gateway,
        state=lifecycle.PENDING,
    )
    try:
        with db.session.begin_nested():
            db.session.add(payment)
    except sa.exc.IntegrityError:
        # A twin made the same attempt first (SQLite has no row locks): continue with its row.
        twin = open_payment(application.id)
        if twin is None:
            raise
        return twin
    return payment


def _call_gateway(attempt: _Attempt, application_id: int) -> Checkout:
    """The gateway call, with no transaction open; its failures as our problems."""
    plugin = gateways.plugin(attempt.gateway)
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    urls = ReturnUrls(
        success=f"{base}/payments/{attempt.reference}/done",
        cancel=f"{base}/payments/{attempt.reference}/cancelled",
    )
    try:
        if attempt.resumed and _key_forgotten(plugin, attempt):
            found = plugin.find_payment(attempt.reference)
            if found is not None and found.status not in ("canceled", "expired"):
                return plugin.resume_payment(found.gateway_ref)
        return plugin.start_payment(
            attempt.amount_baisa, attempt.reference, attempt.description, attempt.metadata, urls
        )
    except GatewayUnavailable as error:
        log.warning(
            "payment gateway unavailable",
            extra={"application_id": application_id, "error": type(error).__name__},
        )
        raise ServiceUnavailable(
            code="gateway_unavailable",
            detail=N_("The payment gateway cannot be reached; try again shortly."),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from error
    except GatewayRefused as error:
        log.error("payment gateway refused a payment", extra={"application_id": application_id})
        raise Conflict(
            code="gateway_refused", detail=N_("The payment gateway refused the payment.")
        ) from error


def _key_forgotten(plugin, attempt: _Attempt) -> bool:
    """Whether the gateway may no longer know the key of an attempt recorded earlier (then its
    object, if one was made, is looked for by our reference before another is made)."""
    memory = gateways.key_memory(plugin)
    return memory is None or utcnow() - attempt.recorded_at > memory


def _record_checkout(payment: Payment, checkout: Checkout) -> None:
    """Transaction 2: what the gateway made, under the payment's row lock."""
    payment.gateway_intent_id = checkout.gateway_ref
    payment.client_secret = checkout.client_secret
    payment.redirect_url = checkout.redirect_url
    record_change(
        "payment.created",
        "payment",
        payment.reference,
        authority_id=payment.authority_id,
        after={
            "amount": payment.amount_baisa,
            "intent": checkout.gateway_ref,
            "gateway": payment.gateway,
        },
    )


# --- Idempotency-Key ---------------------------------------------------------------------------


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def remembered_answer(user: User, key: str, print_: str) -> IdempotentRequest | None:
    """The first answer given to this key, or None; 409 when the key came with another request."""
    found = db.session.scalar(
        sa.select(IdempotentRequest).where(
            IdempotentRequest.user_id == user.id, IdempotentRequest.key == key
        )
    )
    if found is not None and found.fingerprint != print_:
        raise Conflict(
            code="idempotency_key_reused",
            detail=N_("This Idempotency-Key was used with a different request."),
        )
    return found


def stage_answer(user: User, key: str, print_: str, status: int, body: dict[str, Any]) -> None:
    """Add the answer for this key to the current transaction (its owner commits)."""
    db.session.add(
        IdempotentRequest(user_id=user.id, key=key, fingerprint=print_, status=status, body=body)
    )


def remember_answer(
    user: User, key: str, print_: str, status: int, body: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Keep the answer for this key in the caller's unit of work; when a concurrent twin kept its
    answer first, that first answer is the one to give (or 409 if it came with another request).

    The insert is a SAVEPOINT of its own: its unique-key refusal undoes only the insert, and the
    unit of work stays usable (on PostgreSQL the insert waits for the twin's commit first)."""
    try:
        with db.session.begin_nested():
            stage_answer(user, key, print_, status, body)
    except sa.exc.IntegrityError:
        first = remembered_answer(user, key, print_)
        return first.status, first.body
    return status, body
