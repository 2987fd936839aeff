"""Use cases of applications: create, move through the lifecycle, read, talk.

`transition()` is the one way an application changes state: `app.workflow.fire()` on the table
of `licensing.lifecycle`, whose guards and effects (`licensing.steps`) check the documents, move
the SLA clock, write the timeline and the audit log and queue the notices. No use case commits:
the request, job or command that called it owns the unit of work (`app.uow`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from app.access import role_on_record
from app.accounts.models import Role, User
from app.audit import record_change
from app.authorities.models import Authority
from app.catalogue.models import Service
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.maintenance.services import refuse_writes_during_maintenance
from app.models import SlaTracked
from app.numbering import next_number
from app.pagination import Keyset
from app.subjects import register_subject_name
from app.timeutil import MUSCAT, utcnow
from app.workflow import SYSTEM, fire
from licensing import listing, reply_targets
from licensing.detail import application_detail_of
from licensing.licence_lifecycle import LicenceState
from licensing.lifecycle import FINAL, State
from licensing.models import Application, ApplicationEvent, ApplicationMessage, Licence
from licensing.priority import HIGHEST_PRIORITY, priority_of
from licensing.register import keeps_register
from licensing.steps import caller_role

__all__ = ["SYSTEM", "caller_role"]  # where callers of the services have found them

register_subject_name(
    "application",
    lambda application_id: db.session.scalar(
        sa.select(Application.reference).where(Application.id == application_id)
    ),
)
RENEWAL_WINDOW_DAYS = 60


def reference_for(authority_code: str, year: int, number: int) -> str:
    return f"{authority_code}-{year}-{number:06d}"


def create_application(
    applicant: User, service: Service, details: dict[str, Any], licence: Licence | None = None
) -> Application:
    """A draft application for `service`, with the catalogue's fee and target copied onto it."""
    refuse_writes_during_maintenance(service.authority_id)
    if not service.is_active:
        raise Conflict(
            code="service_inactive", detail=N_("This service is not accepting applications.")
        )
    if licence is not None:
        _check_licence_action(applicant, service.action, licence)
    now = utcnow()
    year = now.astimezone(MUSCAT).year
    number = next_number(service.authority_id, "application", year)
    application = Application(
        reference=reference_for(service.authority.code, year, number),
        authority_id=service.authority_id,
        service_id=service.id,
        applicant_id=applicant.id,
        licence_id=licence.id if licence else None,
        family=service.family,
        action=service.action,
        state=State.DRAFT,
        details=details,
        fee_baisa=service.fee_baisa,
        **SlaTracked.target_of(service),
        required_documents=[
            {"code": d.code, "name_ar": d.name_ar, "name_en": d.name_en, "mandatory": d.mandatory}
            for d in service.required_documents
        ],
        last_action_at=now,
        priority=priority_of(applicant),
    )
    db.session.add(application)
    db.session.flush()
    ApplicationEvent.add(
        applicant, "create", State.DRAFT, State.DRAFT, None, application_id=application.id
    )
    record_change(
        "application.created",
        "application",
        application.reference,
        authority_id=application.authority_id,
        after={"service": service.code, "state": "draft"},
    )
    return application


FAMILY_ACTION_PATHS = {
    "register": "",
    "renew": "/{licence_number}/renewal",
    "amend": "/{licence_number}/amendment",
    "cancel": "/{licence_number}/cancellation",
}


def create_generic_application(
    applicant: User, service_code: str, details: dict[str, Any]
) -> Application:
    """A draft for a service with no family blueprint (inspections, certificates, requests).
    A licence of the register is refused (422, naming the family's endpoint): its blueprint
    checks the family's fields, the holder and the renewal window."""
    from licensing.families.schemas import FAMILIES

    service = db.session.scalar(sa.select(Service).where(Service.code == service_code))
    if service is None:
        raise ValidationFailed({"service": [N_("There is no service with this code.")]})
    if keeps_register(service.family, service.action):
        endpoint = f"/api/v1/{FAMILIES[service.family][0]}{FAMILY_ACTION_PATHS[service.action]}"
        raise ValidationFailed(
            {"service": [N_("This service has its own endpoint; apply through it.")]},
            code="use_family_endpoint",
            detail=N_("Apply for this service at POST %(endpoint)s."),
            params={"endpoint": endpoint},
            extra={"endpoint": endpoint, "method": "POST"},
        )
    return create_application(applicant, service, details)


def _check_licence_action(applicant: User, action: str, licence: Licence) -> None:
    if licence.holder_id != applicant.id:
        raise NotFound()
    if licence.state == LicenceState.CANCELLED:
        raise Conflict(code="licence_cancelled", detail=N_("This licence has been cancelled."))
    today = utcnow().astimezone(MUSCAT).date()
    if action == "renew" and (licence.valid_until - today).days > RENEWAL_WINDOW_DAYS:
        raise Conflict(
            code="renewal_too_early",
            detail=N_("A licence can be renewed in the 60 days before it expires, or after."),
        )
    if action in ("amend", "cancel") and licence.state != LicenceState.ACTIVE:
        raise Conflict(
            code="licence_not_active",
            detail=N_("Only an active licence can be amended or cancelled."),
        )
    pending = db.session.scalar(
        sa.select(Application.id)
        .where(
            Application.licence_id == licence.id,
            Application.state.notin_([s.value for s in FINAL]),
        )
        .limit(1)
    )
    if pending is not None:
        raise Conflict(
            code="licence_has_open_application",
            detail=N_("This licence already has an open application."),
        )


def transition(
    application: Application, action: str, actor: User | str, data: dict[str, Any] | None = None
) -> Application:
    """Take `action` on the application, or refuse it (404 unknown action, 403 role, 409 state,
    422 missing field, then the step's guards) without changing anything: `app.workflow.fire()`
    on the table of `licensing.lifecycle`, in the caller's unit of work."""
    fire(application, action, actor, **(data or {}))
    return application


def confirm_payment(application_id: int) -> Application:
    """The fee is paid (`payment.succeeded`, through `licensing.subscribers`): the application
    moves on and its SLA clock starts, in the caller's unit of work. Safe to call again: an
    application no longer waiting for payment is left alone."""
    application = db.session.scalar(
        sa.select(Application).where(Application.id == application_id).with_for_update()
    )
    if application is None:
        raise NotFound()
    if application.state != State.PAYMENT_PENDING:
        return application
    return transition(application, "confirm_payment", SYSTEM)


def get_application(actor: User, application_id: int) -> Application:
    """The application if the caller may see it (owner, or staff of its authority); else 404."""
    application = db.session.get(Application, application_id)
    if application is None:
        raise NotFound()
    caller_role(application, actor)
    return application


def read_application(actor: User, application_id: int) -> dict[str, Any]:
    """The application with its SLA and timeline, as `ApplicationDetailSchema` shows it, if the
    caller may see it; else 404. The hot read: one query, no ORM objects (`licensing.detail`)."""
    return application_detail_of(actor, application_id)


def act(actor: User, application_id: int, action: str, data: dict[str, Any]) -> Application:
    """Take `action` on the application as `actor` (see `transition`). The row is locked for
    the step; its service, authority and timeline, which the notice and the answer show, come
    in the same statement (only the application's row is locked)."""
    application = (
        db.session.execute(
            sa.select(Application)
            .where(Application.id == application_id)
            .options(
                joinedload(Application.service),
                joinedload(Application.authority),
                joinedload(Application.events),
            )
            .with_for_update(of=Application)
        )
        .unique()
        .scalar_one_or_none()
    )
    if application is None:
        raise NotFound()
    return transition(application, action, actor, {**data, "actor": actor})


def assign(actor: User, application_id: int, assignee_id: int | None) -> Application:
    """Give the application to an inspector of its authority (or take it back: None)."""
    application = get_application(actor, application_id)
    if actor.role == Role.APPLICANT:
        raise Forbidden()
    if assignee_id is not None:
        assignee = db.session.get(User, assignee_id)
        if (
            assignee is None
            or assignee.authority_id != application.authority_id
            or assignee.role != Role.INSPECTOR
        ):
            raise ValidationFailed({"assignee_id": [N_("Choose an inspector of this authority.")]})
    before = {"assignee_id": application.assignee_id}
    application.assignee_id = assignee_id
    application.last_action_at = utcnow()
    record_change(
        "application.assigned",
        "application",
        application.reference,
        authority_id=application.authority_id,
        before=before,
        after={"assignee_id": assignee_id},
    )
    return application


def add_message(actor: User, application_id: int, body: str) -> ApplicationMessage:
    """Write in the application's thread (its applicant, or staff of its authority); the audit
    log names the message, the thread keeps its text. An applicant's message gets its reply
    target and tells the staff who must answer; a staff message answers those waiting
    (`licensing.reply_targets`)."""
    application = get_application(actor, application_id)
    now = utcnow()
    message = ApplicationMessage(
        application_id=application.id,
        author_id=actor.id,
        author_role=actor.role.value,
        body=body,
        created_at=now,
    )
    db.session.add(message)
    if actor.role == Role.APPLICANT:
        reply_targets.applicant_wrote(application, message)
    else:
        application.last_action_at = now
        reply_targets.staff_answered(application, now)
    db.session.flush()
    record_change(
        "application.message_added",
        "application",
        application.reference,
        authority_id=application.authority_id,
        after={"message_id": message.id, "author_role": message.author_role},
    )
    return message


def messages_query(actor: User, application_id: int) -> sa.Select:
    application = get_application(actor, application_id)
    return (
        sa.select(ApplicationMessage)
        .where(ApplicationMessage.application_id == application.id)
        .order_by(ApplicationMessage.id)
    )


def find_service(
    family: str,
    action: str,
    *,
    authority_code: str | None = None,
    code: str | None = None,
    licence: Licence | None = None,
    details: dict[str, Any] | None = None,
    details_at: str = "",
) -> Service:
    """The catalogue service an application is for: the one named, or the family's own service
    for this action in the authority (for a licence: the sibling of the service it was issued
    under, e.g. ...-RENEW beside ...-REGISTER). Where the family has a service per kind of
    record (`SERVICE_KINDS`: health or commercial vehicle signage), the kind in `details` (or
    the licence's) decides, and a named service of another kind is refused; so is a renewal or
    amendment that would change the kind (`details_at` names where the request carries it)."""

    query = sa.select(Service).where(
        Service.family == family, Service.action == action, Service.is_active
    )
    if licence is not None:
        authority_code = licence.authority.code
    kind_code = _code_for_kind(family, action, authority_code, details or {}, licence, details_at)
    if code:
        found = db.session.scalar(query.where(Service.code == code))
        if found is None:
            raise ValidationFailed(
                {"service": [N_("No active service of this kind has this code.")]}
            )
        if kind_code and found.code != kind_code:
            raise ValidationFailed(
                {"service": [N_("This service is not for the sign type given.")]}
            )
        return found
    if kind_code:
        found = db.session.scalar(query.where(Service.code == kind_code))
    elif licence is not None:
        query = query.where(Service.authority_id == licence.authority_id)
        sibling = licence.service.code.rsplit("-", 1)[0] + "-" + action.upper()
        found = db.session.scalar(query.where(Service.code == sibling)) or db.session.scalar(
            query.order_by(Service.id).limit(1)
        )
    else:
        query = query.join(Authority).where(Authority.code == (authority_code or "").upper())
        found = db.session.scalar(query.order_by(Service.id).limit(1))
    if found is None:
        raise ValidationFailed({"authority": [N_("This authority offers no such service.")]})
    return found


def _code_for_kind(
    family: str,
    action: str,
    authority_code: str | None,
    details: dict[str, Any],
    licence: Licence | None,
    details_at: str,
) -> str | None:
    """The code of the service for the kind of record (None for a family with one kind)."""
    from licensing.families.schemas import SERVICE_KINDS

    if family not in SERVICE_KINDS:
        return None
    field, stems = SERVICE_KINDS[family]
    kind = licence.details.get(field) if licence is not None else details.get(field)
    if licence is not None and details.get(field, kind) != kind:
        raise ValidationFailed(
            {
                f"{details_at}.{field}".lstrip("."): [
                    N_("The sign type cannot change; cancel this sign and register a new one.")
                ]
            }
        )
    if kind not in stems:
        return None
    return f"{(authority_code or '').upper()}-{stems[kind]}-{action.upper()}"


def find_licence(actor: User, number: str, family: str | None = None) -> Licence:
    """A licence the caller may see (holder, or staff of its authority); else 404."""
    licence = db.session.scalar(sa.select(Licence).where(Licence.number == number))
    if licence is None or (family and licence.family != family):
        raise NotFound()
    role_on_record(actor, licence.holder_id, licence.authority_id)
    return licence


# The queue's order, which `ix_applications_queue` and its siblings keep: by SLA band (breached,
# at risk, on track, no due date: licensing.queue_bands); in a band a priority applicant's first;
# then by due date, then oldest first.
QUEUE_ORDER = (
    Application.queue_band,
    (-Application.priority).label("priority_first"),
    Application.sla_due_date,
    Application.id,
)


def applications_query(actor: User, filters: dict[str, Any]) -> Keyset:
    """The applicant's own applications (newest first), or staff's work queue of their authority
    by SLA band (breached, at risk, on track, no due date), in a band a priority applicant's
    first, then by due date (soonest first) and oldest first, with the filters of the
    queue; each page read with what its answer shows in the same statement, and written as
    `ApplicationSchema(many=True)` would (`licensing.listing`).

    The orders are those of the indexes `ix_applications_applicant` and `ix_applications_queue`
    (and its siblings by state, service, assignee and running clock), so a page is an index range
    whatever the number of applications."""
    query = listing.rows_of_applications()
    if actor.role == Role.APPLICANT:
        mine = query.where(Application.applicant_id == actor.id)
        own = {"shown": listing.with_what_is_shown, "answer": listing.answer_of_own}
        return Keyset(mine, (Application.id,), "applications.mine", descending=True, **own)
    shown = {"shown": listing.with_what_is_shown, "answer": listing.answer_of}
    query = query.where(Application.authority_id == actor.authority_id)
    if filters.get("state"):
        query = query.where(Application.state == filters["state"])
    if filters.get("service"):
        service_id = sa.select(Service.id).where(Service.code == filters["service"])
        query = query.where(Application.service_id == service_id.scalar_subquery())
    if filters.get("family"):
        query = query.where(Application.family == filters["family"])
    assignee = filters.get("assignee")
    if assignee == "me":
        query = query.where(Application.assignee_id == actor.id)
    elif assignee == "none":
        query = query.where(Application.assignee_id.is_(None))
    elif assignee:
        query = query.where(Application.assignee_id == int(assignee))
    if filters.get("sla_state"):
        query = query.where(*_sla_state_filter(filters["sla_state"]))
    return Keyset(query, QUEUE_ORDER, "applications.queue", **shown)


def _sla_state_filter(state: str) -> list:
    """Running clocks only (a paused clock's due date moves daily) in the band of the state:
    breached when the due date has passed, at risk when it is today or the next working day.

    The band is the queue key's first column (licensing.queue_bands), and the filter is written
    as bounds of the whole key (`_band_from`), which the running clocks' index
    `ix_applications_queue_running` reads as one range, in the queue's order, with or without a
    cursor's bound. A band is at most minutes late after midnight, until its refresh."""
    from licensing.queue_bands import AT_RISK, BREACHED

    band = BREACHED if state == "breached" else AT_RISK
    key = sa.tuple_(*QUEUE_ORDER)
    return [
        Application.sla_started_at.is_not(None),
        Application.sla_stopped_at.is_(None),
        Application.sla_paused_at.is_(None),
        key >= _band_from(band),
        key < _band_from(band + 1),
    ]


def _band_from(band: int) -> sa.Tuple:
    """The queue's key just before the first application of `band`: the key of one in an
    earlier band is less, of one in this band or a later one greater or equal."""
    return sa.tuple_(band, -HIGHEST_PRIORITY - 1, dt.date.min, 0)
