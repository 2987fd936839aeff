"""The monthly SLA report of an authority as a PDF (issue 15): the month's figures per department
(`licensing.service_levels`), a chart of the on-time percentage per service family, the services
that missed their targets and the breach explanations recorded in the month, in Arabic (right
to left) or English (`app/pdf_templates/sla_monthly.html.j2`).

Rendered in the request: three statements of figures and one of explanations, then WeasyPrint
(see the README for its cost with many explanations).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.accounts.models import User
from app.authorities.models import Authority
from app.breaches.models import BreachExplanation
from app.breaches.services import explanations_between
from app.catalogue.models import Service
from app.errors import ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.pdf import render_pdf
from app.timeutil import MUSCAT, utcnow
from licensing.service_levels import COUNTS, month_names, service_levels

TEMPLATE = "sla_monthly.html.j2"
FIRST_MONTH, LAST_MONTH = date(2020, 1, 1), date(2040, 12, 1)  # the calendar's years
MONTH_OUTSIDE_CALENDAR = N_("The month must be within the calendar, 2020 to 2040.")


def monthly_report_pdf(actor: User, month: date, lang: str) -> bytes:
    """The PDF of the caller's authority for the month that starts on `month`, in `lang` ("ar"
    or "en"); open, breached and paused as of today (Muscat). 422 naming `month` outside the
    calendar."""
    if not FIRST_MONTH <= month <= LAST_MONTH:
        raise ValidationFailed({"month": [MONTH_OUTSIDE_CALENDAR]})
    authority = db.session.get(Authority, actor.authority_id)
    now = utcnow()
    return render_pdf(TEMPLATE, monthly_context(authority, month, lang, now))


def monthly_context(authority: Authority, month: date, lang: str, now: datetime) -> dict[str, Any]:
    """What the template shows (its context is described in `app.pdf`)."""
    first = month.replace(day=1)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    today = now.astimezone(MUSCAT).date()

    def figures(group_by: str) -> list[dict[str, Any]]:
        return service_levels(authority.id, first, last, group_by, today)

    families = figures("family")
    services = figures("service")
    return {
        "lang": lang,
        "authority_name": getattr(authority, f"name_{lang}"),
        "month": month_names(first.year, first.month)[f"name_{lang}"],
        "as_of": today,
        "generated_at": now,
        "departments": [_named(row, lang) for row in figures("department")],
        "totals": _totals(families),
        "families": [
            {
                **_named(row, lang),
                "completed": row["completed_on_time"] + row["completed_late"],
            }
            for row in families
        ],
        "missed": [
            {**_named(row, lang), "code": row["group"]["code"]}
            for row in services
            if row["completed_late"] or row["breached"]
        ],
        "explanations": _explanations(authority.id, first, last, lang),
    }


def _named(row: dict[str, Any], lang: str) -> dict[str, Any]:
    return {**row, "name": row["group"][f"name_{lang}"]}


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The authority's counts: each application is in exactly one family."""
    totals = {name: sum(row[name] for row in rows) for name in COUNTS}
    judged = totals["completed_on_time"] + totals["completed_late"]
    percent = round(100 * totals["completed_on_time"] / judged, 1) if judged else None
    return {**totals, "on_time_percent": percent}


def _explanations(authority_id: int, first: date, last: date, lang: str) -> list[dict[str, Any]]:
    """The month's explanations, oldest first, in `lang` where they were written in it (else
    in the language they were written in: always the applicant's)."""
    recorded = explanations_between(authority_id, first, last).subquery()
    e = aliased(BreachExplanation, recorded)
    rows = db.session.execute(
        sa.select(e, Service.name_ar, Service.name_en)
        .outerjoin(Service, Service.id == e.service_id)
        .order_by(e.created_at, e.id)
    ).all()
    shown = []
    for explanation, name_ar, name_en in rows:
        text_lang = lang if getattr(explanation, f"reason_{lang}") else explanation.language
        shown.append(
            {
                "reference": explanation.reference,
                "service_name": (name_ar if lang == "ar" else name_en) or "",
                "due_date": explanation.due_date,
                "recorded_on": explanation.created_at.astimezone(MUSCAT).date(),
                "reason": getattr(explanation, f"reason_{text_lang}"),
                "remedy": getattr(explanation, f"remedy_{text_lang}"),
                "text_lang": text_lang,
            }
        )
    return shown
