"""A page of `GET /api/v1/applications` (the staff queue, an applicant's list): its rows read
with one Core statement, and its answer written as plain dicts.

The ORM way built an `Application` with its five relations per row and marshmallow walked them:
a `SlaSchema` built per item, every field through its `Field` object; together about half of a
page's time in the process. Here the page's statement (`app.pagination.KeysetPage`) selects the
application's columns that the answer shows, joined to its references (`licensing.detail`: the
same columns and joins as the hot read, with the authority's calendar version, so the SLA costs
no statement of its own; on PostgreSQL joined to the page's rows read first in a subquery), and
`licensing.schemas.application_item` writes what `ApplicationSchema(many=True)` would: the same
JSON, byte for byte (tests/licensing/test_list_items.py compares the two on records of every
shape). The schema stays the OpenAPI description of the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from app.timeutil import utcnow
from licensing.detail import (
    APPLICATION_COLUMNS,
    REFERENCE_COLUMNS,
    sla_status_of,
    with_references,
)
from licensing.models import Application
from licensing.schemas import application_item

_applications = Application.__table__
# The columns a page reads of the applications table: what the answer shows, and the keys of
# the references it joins.
_COLUMNS = (*APPLICATION_COLUMNS, "service_id", "licence_id")


def rows_of_applications() -> sa.Select:
    """The applications as a list filters, orders and counts them: the table alone, no joins."""
    return sa.select(*(_applications.c[name] for name in _COLUMNS))


def with_what_is_shown(rows: sa.FromClause) -> sa.Select:
    """`rows` (the applications table, or a subquery of a page of its rows with `_COLUMNS`)
    with what their answer shows of their references."""
    shown = (*(rows.c[name] for name in APPLICATION_COLUMNS), *REFERENCE_COLUMNS)
    return sa.select(*shown).select_from(with_references(rows))


def answer_of(rows: Sequence[sa.Row], *, staff: bool = True) -> list[dict[str, Any]]:
    """The page's items as `ApplicationSchema(many=True)` dumps them for staff (or, `staff`
    false, for their applicant: without the staff-only fields), the clocks as they stand now
    (one moment for the whole page)."""
    now = utcnow()
    found = []
    for row in rows:
        fields = row._mapping
        found.append(application_item(fields, sla_status_of(fields, now), staff=staff))
    return found


def answer_of_own(rows: Sequence[sa.Row]) -> list[dict[str, Any]]:
    """An applicant's page of their own applications (`answer_of` without staff-only fields)."""
    return answer_of(rows, staff=False)
