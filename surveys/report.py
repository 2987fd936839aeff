"""The satisfaction report of an authority: how many ratings, their mean and their spread over
1 to 5, per service, per department or per month (Asia/Muscat), over a span of dates.

One grouped count (group × score) from `satisfaction_ratings` alone; the figures are folded
from it, so the mean is exactly the ratings' mean, two decimals.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app.accounts.models import User
from app.authorities.models import Department
from app.calendar.sql import muscat_day
from app.catalogue.models import Service
from app.csv_files import csv_text
from app.errors import ValidationFailed
from app.extensions import db
from app.i18n import N_
from app.satisfaction import SCORES, SatisfactionRating
from app.timeutil import MUSCAT
from surveys.results import mean_of

FROM_AFTER_TO = N_("Must not be before `from`.")
GROUPS = ("service", "department", "month")
CSV_HEADER = (
    "group",
    "key",
    "name_ar",
    "name_en",
    "count",
    "mean",
    *(f"score_{s}" for s in SCORES),
)


def satisfaction_report(actor: User, filters: dict[str, Any]) -> dict[str, Any]:
    """The report of the caller's authority; `from` and `to` are Muscat dates (inclusive) on
    which ratings were given, `kind` one kind of rated record; 422 naming `to` when it is before
    `from`."""
    first, last, group = filters.get("first"), filters.get("last"), filters["group"]
    if first and last and last < first:
        raise ValidationFailed({"to": [FROM_AFTER_TO]})
    r = SatisfactionRating
    key = {"service": r.service_id, "department": r.department_id, "month": muscat_day(r.rated_at)}
    query = (
        sa.select(key[group].label("key"), r.score, sa.func.count())
        .where(r.authority_id == actor.authority_id)
        .group_by(key[group], r.score)
    )
    if filters.get("kind"):
        query = query.where(r.subject_type == filters["kind"])
    if first:
        query = query.where(r.rated_at >= _muscat_midnight(first))
    if last:
        query = query.where(r.rated_at < _muscat_midnight(last + timedelta(days=1)))
    spread: dict[Any, dict[str, int]] = defaultdict(lambda: {str(s): 0 for s in SCORES})
    total = {str(s): 0 for s in SCORES}
    for found, score, count in db.session.execute(query):
        found = str(found)[:7] if group == "month" else found  # a date: its month
        spread[found][str(score)] += count
        total[str(score)] += count
    names = _names(group, [k for k in spread if k is not None])
    rows = [_figures(names.get(k, (k, None, None)), s) for k, s in spread.items()]
    rows.sort(key=lambda row: (row["key"] is None, row["key"] or ""))
    return {
        "first": first,
        "last": last,
        "group": group,
        "groups": rows,
        "total": _figures((None, None, None), total),
    }


def report_csv(report: dict[str, Any]) -> str:
    def line(row: dict[str, Any], key: str | None) -> tuple:
        spread = [row["distribution"][str(s)] for s in SCORES]
        return (
            report["group"],
            key,
            row["name_ar"],
            row["name_en"],
            row["count"],
            row["mean"],
            *spread,
        )

    rows = [line(row, row["key"]) for row in report["groups"]]
    rows.append(line(report["total"], "ALL"))
    return csv_text(CSV_HEADER, rows)


def _names(group: str, ids: list[Any]) -> dict[Any, tuple[str, str | None, str | None]]:
    """Each group's key as shown (a service's or department's code) and its names."""
    if group == "month" or not ids:
        return {}
    model = Service if group == "service" else Department
    found = db.session.execute(
        sa.select(model.id, model.code, model.name_ar, model.name_en).where(model.id.in_(ids))
    )
    return {row.id: (row.code, row.name_ar, row.name_en) for row in found}


def _figures(named: tuple, distribution: dict[str, int]) -> dict[str, Any]:
    key, name_ar, name_en = named
    return {
        "key": key,
        "name_ar": name_ar,
        "name_en": name_en,
        "count": sum(distribution.values()),
        "mean": mean_of(distribution),
        "distribution": distribution,
    }


def _muscat_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=MUSCAT)
