"""The calendar each process keeps in memory (app.calendar.services): built once per version of
the authority's holidays, and built again by the next request after any change, whichever
process made it."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app import uow
from app.accounts.models import User
from app.authorities.models import Authority
from app.calendar import services
from app.extensions import db
from tests.factories import make_staff, staff_headers
from tests.statements import statements

THURSDAY = "2026-12-17T09:00:00+04:00"  # + 3 working days: Sun 20, Mon 21, Tue 22


def _due(client) -> str:
    return client.get(
        "/api/v1/calendar/due-date", query_string={"start": THURSDAY, "days": 3}
    ).get_json()["due_date"]


def test_a_declared_holiday_is_seen_by_the_next_request_and_its_withdrawal_too(app, client):
    _, admin = staff_headers(app, client, "admin", "NBG")
    assert _due(client) == "2026-12-22"  # the calendar is built and kept
    declared = client.post(
        "/api/v1/calendar/holidays",
        json={"date": "2026-12-21", "name_ar": "عطلة", "name_en": "Declared"},
        headers=admin,
    )
    assert declared.status_code == 201
    assert _due(client) == "2026-12-23"
    assert client.delete("/api/v1/calendar/holidays/2026-12-21", headers=admin).status_code == 204
    assert _due(client) == "2026-12-22"


def test_a_holiday_another_process_committed_is_seen_by_the_next_request(app, client):
    """Another worker's change reaches this one only through the database: the calendar kept
    here is left as it was, and the version the next request reads tells it is out of date."""
    staff = make_staff(app, "admin", "NBG")
    assert _due(client) == "2026-12-22"
    with app.app_context():
        kept = dict(services._cache)
        admin = db.session.get(User, staff["id"])
        with uow.transaction():
            services.declare_holiday(
                admin, {"date": date(2026, 12, 20), "name_ar": "عطلة", "name_en": "Declared"}
            )
    assert services._cache == kept  # what this process keeps: unchanged by the other's work
    assert _due(client) == "2026-12-23"


def test_a_kept_calendar_costs_one_small_select_and_no_override_read(app, client):
    assert _due(client) == "2026-12-22"
    with statements(app) as sent:
        assert _due(client) == "2026-12-22"
    assert sent.touching("holiday_overrides") == [], sent.text()
    assert len(sent.touching("calendar_version")) == 1, sent.text()


def test_a_change_rolled_back_leaves_no_calendar_under_a_version_used_again(app, client):
    """A counted-up version would give the next change the number of the one rolled back, and
    the calendar kept under it (with the holiday that never was) would be taken for current."""
    staff = make_staff(app, "admin", "NBG")
    assert _due(client) == "2026-12-22"
    with app.app_context():
        nbg = db.session.scalar(sa.select(Authority).where(Authority.code == "NBG"))
        before = nbg.calendar_version
        admin = db.session.get(User, staff["id"])
        services.declare_holiday(
            admin, {"date": date(2026, 12, 21), "name_ar": "عطلة", "name_en": "Declared"}
        )
        db.session.refresh(nbg)
        during = nbg.calendar_version
        assert during != before
        assert date(2026, 12, 21) in services.calendar_for(nbg.id).holidays  # kept, with it
        uow.rollback()
        assert db.session.get(Authority, nbg.id).calendar_version == before
        with uow.transaction():  # the next change: a day far from the one measured
            services.declare_holiday(
                db.session.get(User, staff["id"]),
                {"date": date(2027, 3, 3), "name_ar": "عطلة", "name_en": "Later"},
            )
    assert _due(client) == "2026-12-22"
