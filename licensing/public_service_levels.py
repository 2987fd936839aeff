"""Public service levels: per service of an authority, the on-time percentage and the median
working days to completion, over the last 90 days and per calendar month, for anyone.

The figures are those of `licensing.service_levels` over the applications received in each
window (Muscat dates) and completed by the end of yesterday: they change once a day, so an
answer's ETag is the catalogue's version and yesterday's date, and each process counts an
authority's figures once under that version and keeps them (an answer per authority: the
clients that do not revalidate cost no query either). No figure names or counts a
person: there is no inspector grouping, no count of applications, and a figure that would be
computed over fewer than `MINIMUM_COMPLETIONS` completions is withheld (null, `suppressed`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.authorities.models import Authority
from app.catalogue.caching import catalogue_version
from app.catalogue.models import Service
from app.errors import ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.sla import SlaUnit
from app.timeutil import MUSCAT, utcnow
from licensing.service_levels import figures_of, figures_query

WINDOW_DAYS = 90
MONTHS = 12
MINIMUM_COMPLETIONS = 5
UNKNOWN_AUTHORITY = N_("No authority has this code.")


def public_version() -> str:
    """What the public answers are made of: the catalogue (services, authorities) and the day
    the figures were counted to."""
    return f"{catalogue_version()}:{last_counted_day().isoformat()}"


def last_counted_day() -> date:
    return utcnow().astimezone(MUSCAT).date() - timedelta(days=1)


@dataclass
class _Answers:
    """The answers this process counted under one version, by authority code."""

    version: str | None = None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def public_service_levels(authority_code: str) -> dict[str, Any]:
    """Every active service of the authority, by code, with its figures over the `WINDOW_DAYS`
    days to yesterday and over each of the last `MONTHS` calendar months (the current one so
    far, to yesterday): counted once per `public_version()`, then kept. Raises
    ValidationFailed naming `authority` for an unknown code."""
    code, version = authority_code.upper(), public_version()
    kept = current_app.extensions.setdefault("public_service_levels", _Answers())
    with kept.lock:
        if kept.version == version and code in kept.answers:
            return kept.answers[code]
    answer = count_service_levels(code)
    with kept.lock:
        if kept.version != version:
            kept.version, kept.answers = version, {}
        kept.answers[code] = answer
    return answer


def forget_service_levels() -> None:
    """The next answer is counted again (tests that change applications on one day)."""
    current_app.extensions.pop("public_service_levels", None)


def count_service_levels(code: str) -> dict[str, Any]:
    """The answer of `public_service_levels`, counted now."""
    authority = db.session.scalar(sa.select(Authority).where(Authority.code == code))
    if authority is None:
        raise ValidationFailed({"authority": [UNKNOWN_AUTHORITY]})
    as_of = last_counted_day()
    window_from = as_of - timedelta(days=WINDOW_DAYS - 1)
    months = _months_to(as_of)
    first_month = date(*(int(part) for part in months[0].split("-")), 1)
    services = db.session.execute(
        sa.select(
            Service.code,
            Service.name_ar,
            Service.name_en,
            Service.sla_days,
            Service.sla_unit,
            Service.sla_minutes,
        )
        .where(Service.authority_id == authority.id, Service.is_active)
        .order_by(Service.code)
    ).all()
    window = _rows(figures_query(authority.id, ("service",), as_of, window_from, as_of,
                                 completed_by=as_of))  # fmt: skip
    monthly = _rows(figures_query(authority.id, ("service", "month"), as_of, first_month, as_of,
                                  completed_by=as_of))  # fmt: skip
    return {
        "authority": {
            "code": authority.code,
            "name_ar": authority.name_ar,
            "name_en": authority.name_en,
        },
        "as_of": as_of,
        "window_from": window_from,
        "minimum_completions": MINIMUM_COMPLETIONS,
        "services": [
            {
                "service": {"code": code, "name_ar": name_ar, "name_en": name_en},
                "has_target": unit != SlaUnit.NONE,
                "target_days": target_days if unit == SlaUnit.WORKING_DAYS else None,
                "target_minutes": minutes if unit == SlaUnit.WORKING_MINUTES else None,
                "last_90_days": published(window.get((code,))),
                "months": [
                    {"month": month, **published(monthly.get((code, _month_key(month))))}
                    for month in months
                ],
            }
            for code, name_ar, name_en, target_days, unit, minutes in services
        ],
    }


def _rows(query: sa.Select) -> dict[tuple, dict[str, Any]]:
    """The figures of each row, keyed by service code (and month number)."""
    rows = {}
    for row in db.session.execute(query).mappings():
        key = (row["service_code"],) + ((int(row["month"]),) if "month" in row else ())
        rows[key] = figures_of(row)
    return rows


def published(figures: dict[str, Any] | None) -> dict[str, Any]:
    """The public side of a group's figures: none computed over fewer than
    `MINIMUM_COMPLETIONS` completions (no completion at all included)."""
    completed = figures["completed"] if figures else 0
    judged = figures["completed_on_time"] + figures["completed_late"] if figures else 0
    if completed < MINIMUM_COMPLETIONS:
        return {"on_time_percent": None, "median_working_days": None, "suppressed": True}
    return {
        "on_time_percent": figures["on_time_percent"] if judged >= MINIMUM_COMPLETIONS else None,
        "median_working_days": figures["median_working_days"],
        # a service with a target for only some of the completed: too few judged
        "suppressed": 0 < judged < MINIMUM_COMPLETIONS,
    }


def _months_to(last: date) -> list[str]:
    """The `MONTHS` months ending with `last`'s, oldest first, as YYYY-MM."""
    count = last.year * 12 + last.month - 1
    return [f"{n // 12}-{n % 12 + 1:02d}" for n in range(count - MONTHS + 1, count + 1)]


def _month_key(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 100 + int(number)
