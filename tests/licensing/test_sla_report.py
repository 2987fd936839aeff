"""The SLA report agrees, service by service, with the SLA clock computed in Python for every
application: met, breached, on track, at risk, paused, instant targets, Muscat-date edges."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from app.calendar.services import calendar_for, ensure_calendar_tables
from app.extensions import db
from app.sla import SlaClock, SlaState
from app.timeutil import MUSCAT
from tests.clock import Clock
from tests.factories import staff_headers
from tests.sla_rows import an_applicant, an_application, services_of

NOW = datetime(2027, 1, 20, 11, tzinfo=MUSCAT)  # a Wednesday
COUNTS = ("started", "decided", "met", "breached", "on_track", "at_risk", "paused")


@pytest.fixture
def now(monkeypatch):
    return Clock(monkeypatch).stop_at(NOW)


def random_clock(rng: random.Random, calendar) -> SlaClock:
    """A clock started between 1 December and now, perhaps paused, resumed, stopped."""
    started = datetime(2026, 12, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 72_000))
    # Evenings in UTC are the next day in Muscat.
    started = started.replace(hour=rng.choice((5, 19, 20, 21, 23)))
    clock = SlaClock(rng.choice((0, 0, 1, 2, 3, 5, 7, 10))).start(started)

    def later(than: datetime) -> datetime | None:
        moment = than + timedelta(hours=rng.randrange(1, 24 * 12))
        return moment if moment < NOW else None

    if rng.random() < 0.4 and (paused := later(started)):
        clock = clock.pause(paused)
        if rng.random() < 0.6 and (resumed := later(paused)):
            clock = clock.resume(resumed, calendar)
    if rng.random() < 0.5 and (stopped := later(clock.paused_at or started)):
        clock = clock.stop(stopped, calendar)
    return clock


@pytest.fixture
def applications(app, now):
    """Sixty clocks over three services of North Al Batinah, and one of Al Buraimi."""
    rng = random.Random(20270120)
    with app.app_context():
        ensure_calendar_tables()
        applicant = an_applicant()
        services = services_of("NBG", 3)
        calendar = calendar_for(services[0].authority_id)
        made = []
        for i in range(60):
            clock = random_clock(rng, calendar)
            made.append((services[i % 3].code, clock))
            an_application(applicant, services[i % 3], clock)
        fixed = [
            SlaClock(3).start(datetime(2027, 1, 17, 9, tzinfo=MUSCAT)),  # on track
            SlaClock(1).start(datetime(2027, 1, 19, 9, tzinfo=MUSCAT)),  # at risk
            SlaClock(2).start(datetime(2027, 1, 10, 9, tzinfo=MUSCAT)),  # breached, open
            SlaClock(0).start(datetime(2027, 1, 15, 9, tzinfo=MUSCAT)),  # instant, from a Friday
            # Due Thursday 17 December, decided on the Friday after: late, though that Friday
            # has Thursday's working-day number.
            SlaClock(4)
            .start(datetime(2026, 12, 13, 9, tzinfo=MUSCAT))
            .stop(datetime(2026, 12, 18, 9, tzinfo=MUSCAT), calendar),
        ]
        assert fixed[-1].status(calendar, NOW).state == SlaState.BREACHED
        for clock in fixed:
            made.append((services[0].code, clock))
            an_application(applicant, services[0], clock)
        an_application(applicant, services_of("ABG", 1)[0], SlaClock(3).start(NOW))
        not_started = SlaClock(5)
        an_application(applicant, services[1], not_started)
        db.session.commit()
        yield made, calendar


def expected(made, calendar, first: date | None = None, last: date | None = None) -> dict:
    """The report computed in Python, one application at a time, from `SlaClock.status`."""
    rows: dict = defaultdict(lambda: dict.fromkeys(COUNTS, 0) | {"used": []})
    for code, clock in made:
        day = clock.started_at.astimezone(MUSCAT).date()
        if (first and day < first) or (last and day > last):
            continue
        status = clock.status(calendar, NOW)
        row = rows[code]
        row["started"] += 1
        row[status.state.value] += 1
        row["paused"] += status.paused
        if clock.stopped_at is not None:
            row["decided"] += 1
            row["used"].append(status.working_days_used)
    return {
        code: {
            **{k: row[k] for k in COUNTS},
            "average_working_days_used": round(sum(row["used"]) / len(row["used"]), 2)
            if row["used"]
            else None,
        }
        for code, row in rows.items()
    }


def report(client, headers, **query) -> dict:
    response = client.get("/api/v1/reports/sla", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["as_of"] == "2027-01-20"
    lines = response.get_json()["services"]
    assert [line["service"]["code"] for line in lines] == sorted(
        line["service"]["code"] for line in lines
    )
    return {line.pop("service")["code"]: line for line in lines}


def test_the_report_agrees_with_the_sla_clock_of_every_application(app, client, applications):
    made, calendar = applications
    _, head = staff_headers(app, client, "department_head", "NBG")
    want = expected(made, calendar)
    states = {clock.status(calendar, NOW).state for _, clock in made}
    assert states == {SlaState.MET, SlaState.BREACHED, SlaState.ON_TRACK, SlaState.AT_RISK}
    assert sum(row["paused"] for row in want.values()) > 0
    assert sum(clock.paused_days > 0 for _, clock in made) > 0
    got = report(client, head)
    assert got == want
    assert sum(row["started"] for row in got.values()) == 65  # not the unstarted nor ABG's


def test_the_report_of_a_span_of_start_dates_and_one_service(app, client, applications):
    made, calendar = applications
    _, admin = staff_headers(app, client, "admin", "NBG")
    first, last = date(2026, 12, 10), date(2027, 1, 5)
    want = expected(made, calendar, first, last)
    assert report(client, admin, **{"from": "2026-12-10", "to": "2027-01-05"}) == want
    code = sorted(want)[1]
    only = report(client, admin, **{"from": "2026-12-10", "to": "2027-01-05", "service": code})
    assert only == {code: want[code]}


def test_another_authority_sees_its_own_clocks_only(app, client, applications):
    _, head = staff_headers(app, client, "department_head", "ABG")
    got = report(client, head)
    assert [row["started"] for row in got.values()] == [1]
    assert list(got.values())[0]["on_track"] == 1


def test_to_before_from_is_refused_naming_to(app, client, now):
    _, head = staff_headers(app, client, "department_head", "NBG")
    response = client.get(
        "/api/v1/reports/sla",
        query_string={"from": "2027-01-10", "to": "2027-01-01"},
        headers={**head, "Accept-Language": "ar"},
    )
    assert response.status_code == 422
    assert "to" in str(response.get_json())
    assert "يجب ألا يسبق" in str(response.get_json())
