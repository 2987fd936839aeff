"""GeoReport v2's shapes, in JSON or XML: the element names are the spec's field names, a list
is wrapped as the spec's XML examples wrap it (`services`/`service`, `service_requests`/
`request`, `service_definition` with `attributes`/`attribute` and `values`/`value`)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree as ET

from flask import Response

from app.timeutil import to_muscat
from cases.models import Case
from cases.open311.services import CLOSED_STATES

REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
# What a confidential or internal case shows by its id: status, service and dates only.
REDACTED = frozenset(
    {"description", "status_notes", "address", "address_id", "zipcode", "lat", "long", "media_url"}
)
LIST_ELEMENT = {"services": "service", "service_requests": "request"}


def request_view(case: Case) -> dict[str, Any]:
    public = case.classification == "public"
    due = case.sla_due_date
    view = {
        "service_request_id": case.reference,
        "status": "closed" if case.state in CLOSED_STATES else "open",
        "status_notes": case.answer,
        "service_name": case.service.name_en,
        "service_code": case.service.code,
        "description": case.description,
        "agency_responsible": f"{case.authority.name_en}, {case.department.name_en}",
        "service_notice": service_notice(case),
        "requested_datetime": _moment(case.created_at),
        "updated_datetime": _moment(case.updated_at),
        "expected_datetime": _expected(case, due),
        "address": case.incident_place,
        "address_id": None,
        "zipcode": None,
        "lat": case.latitude,
        "long": case.longitude,
        "media_url": None,
    }
    if not public:
        view.update(dict.fromkeys(REDACTED))
    return view


def filed_view(case: Case) -> dict[str, Any]:
    return {
        "service_request_id": case.reference,
        "service_notice": service_notice(case),
        "account_id": None,
    }


def service_notice(case: Case) -> str:
    """The case's target in words (Open311 is answered in English)."""
    if case.sla_unit == "working_minutes":
        return f"Answered within {case.sla_target_minutes} working minutes."
    if case.sla_unit == "none":
        return "No published answer time."
    return f"Answered within {case.sla_target_days} working days."


def _expected(case: Case, due) -> str | None:
    """The due moment of a minute target; of a day target, the end of its due date."""
    if case.sla_due_at is not None:
        return _moment(case.sla_due_at)
    return f"{due.isoformat()}T23:59:59+04:00" if due else None


def _moment(moment) -> str | None:
    return None if moment is None else to_muscat(moment).isoformat()


def answer(payload: Any, response_format: str, root: str, status: int = 200) -> Response:
    """`payload` as JSON, or as XML under `root` (a list's items under the spec's item name)."""
    if response_format == "json":
        return Response(
            json.dumps(payload, ensure_ascii=False), status=status, mimetype="application/json"
        )
    element = ET.Element(root)
    if isinstance(payload, list):
        for item in payload:
            _fill(ET.SubElement(element, LIST_ELEMENT[root]), item)
    else:
        _fill(element, payload)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(element, encoding="utf-8")
    return Response(body, status=status, mimetype="text/xml")


def _fill(element: ET.Element, item: dict[str, Any]) -> None:
    for key, value in item.items():
        child = ET.SubElement(element, key)
        if key == "attributes":
            for attribute in value:
                _fill(ET.SubElement(child, "attribute"), attribute)
        elif key == "values":
            for option in value:
                _fill(ET.SubElement(child, "value"), option)
        elif key == "keywords":
            child.text = ",".join(value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        elif value is not None:
            child.text = str(value)
