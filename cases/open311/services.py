"""The Open311 use cases: the services of a jurisdiction, filing a request, reading requests.

What Open311 shows of a case: every field GeoReport v2 names, for a public case (suggestions,
comments and requests filed as public). A confidential or internal case (complaints by default)
is never listed, and read by its id it shows its status, service and dates only: a civic app
follows the request it filed without the description, the place or the answer leaving us.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.audit import record_change
from app.authorities.models import Authority
from app.catalogue.models import Service
from app.errors import Forbidden, NotFound, ValidationFailed
from app.extensions import db
from app.i18n import N_, current_language
from app.timeutil import utcnow
from cases import kinds
from cases.filing import file_case
from cases.kinds import Channel, Classification, Kind
from cases.models import Case, Open311Key

JURISDICTION_NEEDED = N_("Name the jurisdiction (jurisdiction_id): NBG, ABG or MEM.")
NO_JURISDICTION = N_("There is no jurisdiction with this id.")
BAD_KEY = N_("The api_key is missing, unknown or revoked.")
LOCATION_NEEDED = N_("Give the location: lat and long, address_string or address_id.")
NOT_A_SERVICE = N_("This jurisdiction has no service with this code.")
CLOSED_STATES = frozenset({"answered", "closed", "forwarded"})
# The kinds a civic app may file, with the attributes (GeoReport "service definition") each takes.
OPEN311_KINDS = (Kind.COMPLAINT, Kind.SUGGESTION, Kind.INQUIRY, Kind.TICKET)
PARTY_ATTRIBUTES = (
    {
        "variable": True,
        "code": "party_kind",
        "datatype": "singlevaluelist",
        "required": False,
        "datatype_description": "Who the complaint is about",
        "order": 1,
        "description": "A person or a company",
        "values": [{"key": "person", "name": "Person"}, {"key": "company", "name": "Company"}],
    },
    {
        "variable": True,
        "code": "party_name",
        "datatype": "string",
        "required": False,
        "datatype_description": "Name of the person or company",
        "order": 2,
        "description": "The party complained of",
    },
    {
        "variable": True,
        "code": "party_cr_number",
        "datatype": "string",
        "required": False,
        "datatype_description": "Commercial registration number, digits",
        "order": 3,
        "description": "The company's CR number, when known",
    },
)
LIST_LIMIT = 1000
DEFAULT_SPAN = dt.timedelta(days=90)


def jurisdiction(code: str | None) -> Authority:
    if not code:
        raise ValidationFailed({"jurisdiction_id": [JURISDICTION_NEEDED]})
    found = db.session.scalar(sa.select(Authority).where(Authority.code == code.upper()))
    if found is None:
        raise NotFound(code="jurisdiction_not_found", detail=NO_JURISDICTION)
    return found


def kind_of(service: Service) -> Kind | None:
    suffix = service.code.removeprefix(f"{service.authority.code}-")
    return next((k for k in OPEN311_KINDS if kinds.SERVICE_SUFFIX[k] == suffix), None)


def services_of(authority: Authority) -> list[Service]:
    codes = [kinds.service_code(authority.code, k) for k in OPEN311_KINDS]
    return list(
        db.session.scalars(
            sa.select(Service)
            .where(Service.code.in_(codes), Service.is_active)
            .order_by(Service.code)
        )
    )


def service_of(authority: Authority, code: str) -> tuple[Service, Kind]:
    for service in services_of(authority):
        if service.code == code.upper():
            return service, kind_of(service)
    raise NotFound(code="service_not_found", detail=NOT_A_SERVICE)


def service_view(service: Service) -> dict[str, Any]:
    kind = kind_of(service)
    arabic = current_language() == "ar"
    return {
        "service_code": service.code,
        "service_name": service.name_ar if arabic else service.name_en,
        "description": service.description_ar if arabic else service.description_en,
        "metadata": kind == Kind.COMPLAINT,
        "type": "realtime",
        "keywords": [kind.value],
        "group": kind.value,
    }


def definition_view(service: Service) -> dict[str, Any]:
    attributes = PARTY_ATTRIBUTES if kind_of(service) == Kind.COMPLAINT else ()
    return {"service_code": service.code, "attributes": [dict(a) for a in attributes]}


def check_key(api_key: str | None) -> Open311Key:
    digest = hashlib.sha256((api_key or "").encode()).hexdigest()
    key = db.session.scalar(
        sa.select(Open311Key).where(Open311Key.key_hash == digest, Open311Key.revoked_at.is_(None))
    )
    if not api_key or key is None:
        raise Forbidden(code="invalid_api_key", detail=BAD_KEY)
    return key


def make_key(admin: User, name: str) -> tuple[Open311Key, str]:
    """A new key for a civic app; the key itself is answered once and kept as a hash."""
    secret = secrets.token_urlsafe(32)
    key = Open311Key(
        name=name, key_hash=hashlib.sha256(secret.encode()).hexdigest(), created_by_id=admin.id
    )
    db.session.add(key)
    db.session.flush()
    record_change(
        "open311.key_made", "open311_key", key.id, authority_id=None, after={"name": name}
    )
    return key, secret


def revoke_key(key_id: int) -> Open311Key:
    """Stop a key: its app files no more requests (kept, with when it was revoked)."""
    key = db.session.get(Open311Key, key_id)
    if key is None:
        raise NotFound()
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        record_change(
            "open311.key_revoked",
            "open311_key",
            key.id,
            authority_id=None,
            after={"name": key.name},
        )
    return key


def file_request(form: dict[str, Any]) -> Case:
    """POST /requests: a case of the service's kind, filed by the app for its user (a contact:
    name, e-mail or phone), at the location given."""
    key = check_key(form.get("api_key"))
    authority = jurisdiction(form.get("jurisdiction_id"))
    service, kind = service_of(authority, form.get("service_code") or "")
    lat, long = form.get("lat"), form.get("long")
    address = form.get("address_string") or form.get("address_id")
    if (lat is None or long is None) and not address:
        raise ValidationFailed({"address_string": [LOCATION_NEEDED]})
    place = address or f"{lat}, {long}"
    name = " ".join(p for p in (form.get("first_name"), form.get("last_name")) if p) or "Open311"
    attributes = form.get("attributes", {})
    description = form["description"]
    data = {
        "subject": description[:80],
        "description": description,
        "channel": Channel.OPEN311,
        "contact": {"name": name, "email": form.get("email"), "phone": form.get("phone")},
        "incident_place": place,
        "incident_at": utcnow() if kind == Kind.COMPLAINT else None,
        "latitude": lat,
        "longitude": long,
        "classification": None,
    }
    if kind == Kind.COMPLAINT:
        data.update({k: attributes.get(k) for k in ("party_kind", "party_name", "party_cr_number")})
    filed = file_case(None, kind, authority, data)
    record_change(
        "open311.request_filed",
        "case",
        filed.case.reference,
        authority_id=authority.id,
        after={"api_key": key.name, "service_code": service.code},
    )
    return filed.case


def requests_query(authority: Authority, query: dict[str, Any]) -> list[Case]:
    """GET /requests: the jurisdiction's public requests (or those named), newest first; by
    default the last 90 days, at most 1000."""
    select = sa.select(Case).where(
        Case.authority_id == authority.id, Case.kind.in_([k.value for k in OPEN311_KINDS])
    )
    if query.get("service_request_id"):
        ids = [i.strip() for i in query["service_request_id"].split(",") if i.strip()]
        return list(db.session.scalars(select.where(Case.reference.in_(ids)).order_by(Case.id)))
    select = select.where(Case.classification == Classification.PUBLIC.value)
    if query.get("service_code"):
        select = select.where(Case.service.has(code=query["service_code"].upper()))
    end = query.get("end_date") or utcnow()
    start = query.get("start_date") or end - DEFAULT_SPAN
    select = select.where(Case.created_at >= start, Case.created_at <= end)
    statuses = {s.strip() for s in (query.get("status") or "").split(",") if s.strip()}
    if statuses == {"open"}:
        select = select.where(Case.state.notin_(CLOSED_STATES))
    elif statuses == {"closed"}:
        select = select.where(Case.state.in_(CLOSED_STATES))
    return list(db.session.scalars(select.order_by(Case.id.desc()).limit(LIST_LIMIT)))


def request_of(authority: Authority, reference: str) -> Case:
    case = db.session.scalar(
        sa.select(Case).where(Case.authority_id == authority.id, Case.reference == reference)
    )
    if case is None:
        raise NotFound()
    return case
