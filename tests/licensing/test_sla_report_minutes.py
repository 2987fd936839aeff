"""The SLA report with targets in working minutes and with no target (issue 15) agrees, service
by service, with the SLA clock computed in Python: random clocks started, paused, resumed and
stopped at any second, and the edges of the due moment (stopped at it, a second after it, on a
day off after a due moment at the end of a working day, at 8:00 the next working day)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

import pytest

from app.calendar.services import calendar_for, ensure_calendar_tables
from app.extensions import db
from app.sla import SlaClock, SlaState, SlaUnit
from app.timeutil import MUSCAT
from tests.clock import Clock
from tests.factories import staff_headers
from tests.sla_rows import an_applicant, an_application, services_of

NOW = datetime(2027, 1, 20, 11, 17, 23, tzinfo=MUSCAT)  # a Wednesday, inside working hours
COUNTS = ("started", "decided", "met", "breached", "on_track", "at_risk", "paused")


@pytest.fixture
def now(monkeypatch):
    return Clock(monkeypatch).stop_at(NOW)


def minutes(target: int, start: datetime) -> SlaClock:
    return SlaClock(None, unit=SlaUnit.WORKING_MINUTES, target_minutes=target).start(start)


def random_clock(rng: random.Random, calendar) -> SlaClock:
    start = NOW - timedelta(seconds=rng.randrange(60, 12 * 86400))
    if rng.random() < 0.15:
        clock = SlaClock(None, unit=SlaUnit.NONE).start(start)
    else:
        clock = minutes(rng.choice((15, 30, 60, 240, 390, 1440, 3000)), start)

    def later(than: datetime) -> datetime | None:
        moment = than + timedelta(seconds=rng.randrange(1, 4 * 86400))
        return moment if moment < NOW else None

    if rng.random() < 0.4 and (paused := later(start)):
        clock = clock.pause(paused)
        if rng.random() < 0.6 and (resumed := later(paused)):
            clock = clock.resume(resumed, calendar)
    if rng.random() < 0.5 and (stopped := later(clock.paused_at or start)):
        clock = clock.stop(stopped, calendar)
    return clock


def edge_clocks(calendar) -> list[SlaClock]:
    thursday = datetime(2027, 1, 14, 14, tzinfo=MUSCAT)  # 30 minutes: due Thursday 14:30
    due = minutes(30, thursday).due_at(calendar, thursday)
    assert due == datetime(2027, 1, 14, 14, 30, tzinfo=MUSCAT)
    sunday_eight = datetime(2027, 1, 17, 8, tzinfo=MUSCAT)
    return [
        minutes(30, thursday).stop(due, calendar),  # met, at the moment
        minutes(30, thursday).stop(due + timedelta(seconds=1), calendar),  # breached
        minutes(30, thursday).stop(datetime(2027, 1, 15, 10, tzinfo=MUSCAT), calendar),  # Fri
        minutes(30, thursday).stop(sunday_eight, calendar),  # breached, no working time more
        minutes(30, thursday).stop(sunday_eight + timedelta(seconds=1), calendar),
        minutes(60, datetime(2027, 1, 20, 10, 17, 23, tzinfo=MUSCAT)),  # due now: at risk
        minutes(60, datetime(2027, 1, 20, 10, 17, 22, tzinfo=MUSCAT)),  # a second late
        minutes(240, datetime(2027, 1, 20, 8, 17, 23, tzinfo=MUSCAT)),  # 60 left: at risk
        minutes(240, datetime(2027, 1, 20, 8, 18, 23, tzinfo=MUSCAT)),  # 61 left: on track
    ]


@pytest.fixture
def clocks(app, now):
    rng = random.Random(15)
    with app.app_context():
        ensure_calendar_tables()
        applicant = an_applicant()
        services = services_of("NBG", 2)
        calendar = calendar_for(services[0].authority_id)
        made = []
        drawn = [random_clock(rng, calendar) for _ in range(70)] + edge_clocks(calendar)
        for i, clock in enumerate(drawn):
            service = services[i % 2]
            an_application(applicant, service, clock, clock.due_date(calendar, NOW))
            made.append((service.code, clock))
        db.session.commit()
        yield made, calendar


def expected(made, calendar) -> dict:
    rows: dict = defaultdict(lambda: dict.fromkeys(COUNTS, 0) | {"used": []})
    for code, clock in made:
        status = clock.status(calendar, NOW)
        row = rows[code]
        row["started"] += 1
        if status.state.value in row:
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


def test_the_report_agrees_with_the_clock_for_minute_targets_and_no_target(app, client, clocks):
    made, calendar = clocks
    _, head = staff_headers(app, client, "department_head", "NBG")
    states = [clock.status(calendar, NOW).state for _, clock in made]
    assert set(states) == {
        SlaState.MET,
        SlaState.BREACHED,
        SlaState.ON_TRACK,
        SlaState.AT_RISK,
        SlaState.NO_TARGET,
    }
    edges = states[-9:]
    assert edges == [
        SlaState.MET,
        SlaState.BREACHED,
        SlaState.BREACHED,
        SlaState.BREACHED,
        SlaState.BREACHED,
        SlaState.AT_RISK,
        SlaState.BREACHED,
        SlaState.AT_RISK,
        SlaState.ON_TRACK,
    ]
    response = client.get("/api/v1/reports/sla", headers=head)
    assert response.status_code == 200
    got = {line.pop("service")["code"]: line for line in response.get_json()["services"]}
    assert got == expected(made, calendar)
