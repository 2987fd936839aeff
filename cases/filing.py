"""Filing a case: by its person on the portal, by staff for a caller or a walk-in, by anyone
for an inquiry, or by forwarding from another authority."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import has_request_context

from app.accounts.models import Role, User
from app.audit import record_change
from app.authorities.models import Authority
from app.errors import ValidationFailed
from app.extensions import db
from app.i18n import N_, current_language
from app.maintenance.services import refuse_writes_during_maintenance
from app.models import SlaTracked
from app.numbering import next_number
from app.timeutil import MUSCAT, utcnow
from app.workflow import Step
from cases import kinds, notices
from cases.contacts import contact_account as contact_account_of
from cases.kinds import Channel, Classification, Kind
from cases.lifecycle import State
from cases.models import Case, CaseEvent

NO_PERSON = N_("Name the person: an account (person_id) or a contact (name and e-mail or phone).")
CONTACT_NEEDED = N_("Give an e-mail address or a phone number to send the answer to.")
OWN_AUTHORITY = N_("Staff file requests for their own authority.")
NOT_AN_APPLICANT = N_("There is no applicant account with this id.")
# What a case copies from what was filed (the rest is the account's, or the contact's).
CASE_FIELDS = (
    "subject",
    "description",
    "category",
    "incident_place",
    "incident_at",
    "party_kind",
    "party_name",
    "party_cr_number",
    "tajawob_reference",
    "latitude",
    "longitude",
)


@dataclass
class Filed:
    """A new case, and the secret token an anonymous inquirer reads its answer with (shown once)."""

    case: Case
    token: str | None = None


def reference_for(authority_code: str, year: int, number: int) -> str:
    return f"{authority_code}-CASE-{year}-{number:06d}"


def file_case(actor: User | None, kind: Kind, authority: Authority, data: dict[str, Any]) -> Filed:
    """Receive a case of `kind` for `authority` and start its clock (the kind's catalogue target).

    The person: the caller when an applicant files; when staff file (staff intake), the account
    `person_id` or the contact given, with the channel and the filer recorded; without an
    account (inquiries only, checked by the route), the contact given. A case without an
    account gets a token its contact reads the answer with (`GET /inquiries/{reference}`)."""
    refuse_writes_during_maintenance(authority.id)
    if actor is not None and actor.is_staff and actor.authority_id != authority.id:
        raise ValidationFailed({"authority": [OWN_AUTHORITY]})
    person, contact, filed_by = _who(actor, data)
    channel = data.get("channel") or Channel.PORTAL
    # Whoever has no account (an anonymous inquirer, a walk-in) reads the answer with a token:
    # shown once, to them or to the staff who filed for them.
    token = secrets.token_urlsafe(24) if person is None else None
    case = _open(
        kind,
        authority,
        kinds.service_for(authority.id, authority.code, kind),
        {field: data.get(field) for field in CASE_FIELDS},
        person=person,
        contact=contact,
        filed_by=filed_by,
        channel=channel,
        classification=data.get("classification") or _default_classification(kind),
        token_hash=hashlib.sha256(token.encode()).hexdigest() if token else None,
        actor=actor or "public",
    )
    record_change(
        "case.received",
        "case",
        case.reference,
        authority_id=case.authority_id,
        after={
            "kind": kind.value,
            "state": case.state,
            "channel": str(channel),
            "filed_by": filed_by.id if filed_by else None,
            "department": case.department.code,
        },
    )
    notices.tell_person(case, "case_received")
    return Filed(case, token)


def open_forwarded(original: Case, authority: Authority, service, step: Step) -> Case:
    """The receiving authority's case for a forwarded one: the same person, text and
    classification, received (and its clock started) now, linked to the original."""
    case = _open(
        Kind(original.kind),
        authority,
        service,
        {field: getattr(original, field) for field in CASE_FIELDS},
        person=original.person,
        contact=(
            (original.contact_name, original.contact_email, original.contact_phone)
            if original.contact_account_id
            else None
        ),
        filed_by=None,
        channel=original.channel,
        classification=original.classification,
        token_hash=original.access_token_hash,
        actor=step.actor,
        contact_account=original.contact_account,
    )
    case.forwarded_from_id = original.id
    record_change(
        "case.received_by_forwarding",
        "case",
        case.reference,
        authority_id=case.authority_id,
        after={
            "forwarded_from": original.reference,
            "from_authority": original.authority.code,
            "note": step.fields.get("note"),
        },
    )
    return case


def _open(
    kind: Kind,
    authority: Authority,
    service,
    fields: dict[str, Any],
    *,
    person: User | None,
    contact: tuple[str, str | None, str | None] | None,
    filed_by: User | None,
    channel: str,
    classification: str,
    token_hash: str | None,
    actor: User | str,
    contact_account: User | None = None,
) -> Case:
    now = utcnow()
    year = now.astimezone(MUSCAT).year
    number = next_number(authority.id, "case", year)
    department = kinds.default_department(authority.id, kind)
    case = Case(
        reference=reference_for(authority.code, year, number),
        kind=kind.value,
        state=State.RECEIVED,
        authority=authority,
        service_id=service.id,
        department=department,
        person_id=person.id if person else None,
        person=person,
        channel=str(channel),
        filed_by_id=filed_by.id if filed_by else None,
        classification=str(classification),
        access_token_hash=token_hash,
        **SlaTracked.target_of(service),
        last_action_at=now,
        **fields,
    )
    if contact is not None:
        name, email, phone = contact
        language = current_language() if has_request_context() else "ar"
        case.contact_name, case.contact_email, case.contact_phone = name, email, phone
        case.contact_account = contact_account or contact_account_of(name, email, phone, language)
    case.move_clock("start", now)
    db.session.add(case)
    db.session.flush()
    CaseEvent.add(
        actor if isinstance(actor, User) else "public",
        "receive",
        "received",
        "received",
        None,
        case_id=case.id,
    )
    return case


def _who(
    actor: User | None, data: dict[str, Any]
) -> tuple[User | None, tuple[str, str | None, str | None] | None, User | None]:
    """(person, contact, filed_by) of a filing."""
    contact = data.get("contact")
    as_contact = None
    if contact:
        if not (contact.get("email") or contact.get("phone")):
            raise ValidationFailed({"contact": [CONTACT_NEEDED]})
        as_contact = (contact["name"], contact.get("email"), contact.get("phone"))
    if actor is None:
        if as_contact is None:
            raise ValidationFailed({"contact": [NO_PERSON]})
        return None, as_contact, None
    if actor.role == Role.APPLICANT:
        return actor, None, None
    # Staff intake: for an account, or a contact (a caller, a walk-in).
    if data.get("person_id"):
        person = db.session.get(User, data["person_id"])
        if person is None or person.role != Role.APPLICANT or not person.is_active:
            raise ValidationFailed({"person_id": [NOT_AN_APPLICANT]})
        return person, None, actor
    if as_contact is None:
        raise ValidationFailed({"contact": [NO_PERSON]})
    return None, as_contact, actor


def _default_classification(kind: Kind) -> str:
    # A complaint names people: confidential unless said otherwise. Suggestions and comments
    # may be published (after moderation); inquiries and tickets stay inside the authority.
    if kind in kinds.PUBLISHABLE:
        return Classification.PUBLIC
    return Classification.CONFIDENTIAL if kind == Kind.COMPLAINT else Classification.INTERNAL


def find_authority(code: str) -> Authority:
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code.upper()))
    if authority is None:
        raise ValidationFailed({"authority": [N_("There is no authority with this code.")]})
    return authority
