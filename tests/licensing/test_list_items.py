"""`GET /api/v1/applications` writes its items as plain dicts (licensing.listing,
`licensing.schemas.application_item`): the same JSON, byte for byte, as `ApplicationSchema`
dumps from the ORM objects, for records of every state and shape (assigned or not, with a
licence, SLA not started, on track, at risk, paused, breached, met), in the staff queue and in an
applicant's list, by page and by cursor."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from flask import jsonify

from app.extensions import db
from licensing.lifecycle import State
from licensing.models import Application
from licensing.schemas import ApplicationSchema
from tests.licensing.helpers import dumping_as
from tests.licensing.test_application_read import (
    NOW,
    _lease,
    _owner,
    _records,
    _set,
    clock,  # noqa: F401 (a fixture)
    people,  # noqa: F401 (a fixture)
)

QUEUE = "/api/v1/applications"


def _every_state(owner, inspector_id: int) -> dict[str, int]:
    """A lease application in each state, every other one assigned, with running clocks due at
    varied distances (breached, at risk, on track) and stopped ones."""
    made = {}
    for n, state in enumerate(State):
        started = None if state == State.DRAFT else NOW - dt.timedelta(days=3 * n)
        application = _lease(
            owner,
            str(state),
            assignee_id=inspector_id if n % 2 else None,
            submitted_at=started,
            sla_started_at=started,
            sla_stopped_at=NOW - dt.timedelta(days=1) if state in ("issued", "rejected") else None,
            sla_due_date=None if started is None else NOW.date() + dt.timedelta(days=n - 6),
        )
        made[f"state {state}"] = application.id
    at_risk = _lease(owner, "in_review", sla_started_at=NOW - dt.timedelta(days=8))
    _set(at_risk, sla_due_date=NOW.date())
    made["at risk, due today"] = at_risk.id
    overdue = _lease(
        owner,
        "info_requested",
        sla_started_at=NOW - dt.timedelta(days=40),
        sla_paused_at=NOW - dt.timedelta(days=20),
        sla_paused_days=1,
    )
    made["paused after its due date"] = overdue.id
    db.session.commit()
    return made


@pytest.fixture
def records(app, clock, people):  # noqa: F811
    with app.app_context():
        owner = _owner(people)
        ids = _records(owner, people["inspector"])
        ids.update(_every_state(owner, people["inspector"]))
    return ids


def _schema_json(app, ids: list[int], viewer_id: int | None) -> bytes:
    """What the route answered before: `ApplicationSchema(many=True)` over the ORM objects, as
    `viewer_id` sees them (staff see the staff-only fields)."""
    with app.app_context():
        db.session.expire_all()
        dumping_as(viewer_id)
        found = {
            a.id: a
            for a in db.session.scalars(sa.select(Application).where(Application.id.in_(ids)))
        }
        return jsonify(ApplicationSchema(many=True).dump([found[i] for i in ids])).get_data()


def _viewer(app, headers_of, who: str) -> int:
    if who == "inspector_h":
        return headers_of["inspector"]
    with app.app_context():
        return _owner(headers_of).id


def _shapes(app, ids: list[int]) -> set[tuple]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                Application.state,
                Application.assignee_id.is_(None),
                Application.licence_id.is_(None),
                Application.sla_paused_at.is_(None),
            ).where(Application.id.in_(ids))
        ).all()
    return {tuple(row) for row in rows}


@pytest.mark.parametrize("who", ["inspector_h", "applicant_h"])
def test_a_page_is_the_schemas_json_byte_for_byte(app, client, people, records, who):  # noqa: F811
    answer = client.get(f"{QUEUE}?page_size=100", headers=people[who])
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    shown = [item["id"] for item in answer.get_json()]
    assert sorted(shown) == sorted(records.values())
    assert answer.get_data() == _schema_json(app, shown, _viewer(app, people, who))
    staff = who == "inspector_h"
    assert all(("priority" in item) == staff for item in answer.get_json())
    # the records are of every state, assigned and not, with and without a licence, paused
    shapes = _shapes(app, shown)
    assert {s[0] for s in shapes} == {str(s) for s in State}
    assert {s[1:] for s in shapes} >= {
        (True, True, True),
        (False, True, True),
        (False, False, True),
    }
    assert any(not s[3] for s in shapes)
    paused = {item["sla"]["state"] for item in answer.get_json() if item["sla"]["paused"]}
    assert paused >= {"on_track", "breached"}
    slas = {item["sla"]["state"] for item in answer.get_json()}
    # ... and, since issue 15, a minute target and a service with no target among them.
    assert slas == {"not_started", "on_track", "at_risk", "breached", "met", "no_target"}
    assert {item["sla"]["unit"] for item in answer.get_json()} == {
        "working_days",
        "working_minutes",
        "none",
    }


def test_each_page_by_cursor_is_the_schemas_json_too(app, client, people, records):  # noqa: F811
    url, pages = f"{QUEUE}?page_size=4", 0
    seen = []
    while url:
        answer = client.get(url, headers=people["inspector_h"])
        assert answer.status_code == 200
        shown = [item["id"] for item in answer.get_json()]
        assert answer.get_data() == _schema_json(app, shown, people["inspector"])
        seen += shown
        cursor = json.loads(answer.headers["X-Pagination"]).get("next_cursor")
        url = cursor and f"{QUEUE}?page_size=4&cursor={cursor}"
        pages += 1
    assert sorted(seen) == sorted(records.values()) and pages == -(-len(records) // 4)


def test_an_empty_page_is_an_empty_list(app, client, people, records):  # noqa: F811
    answer = client.get(
        f"{QUEUE}?state=approved&assignee=none&service=NO-SUCH", headers=people["inspector_h"]
    )
    assert answer.status_code == 200
    assert answer.get_data() == _schema_json(app, [], people["inspector"])
    assert answer.get_json() == []
    assert json.loads(answer.headers["X-Pagination"]) == {"total": 0, "total_pages": 0}
