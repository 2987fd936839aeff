"""`GET /api/v1/public/service-levels`: anyone sees each service's on-time percentage and median
working days over 90 days and per month, counted to yesterday, with no figure over fewer than
5 completions; cached by ETag, limited per address.

The fifteen applications of tests/licensing/service_level_rows.py (today Wednesday 17 February
2027, so counted to Tuesday 16), and two more services:
- D (target 7): three completions, on time: no figure;
- E (target 5): four completions by the 16th and a fifth (late) on the 17th, counted only from
  the 18th;
- F (no target: no due date): five completions, 1 to 5 working days.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from app import create_app
from app.calendar.services import calendar_for
from app.catalogue.models import Service
from app.extensions import db
from app.sla import SlaClock
from app.timeutil import MUSCAT
from licensing.public_service_levels import forget_service_levels
from tests.clock import Clock
from tests.conftest import TEST_CONFIG
from tests.licensing.service_level_rows import (  # noqa: F401 - fixtures `levels` and `now`
    A,
    B,
    C,
    at,
    fifteen_applications,
    frozen_clock,
)
from tests.sla_rows import an_applicant, an_application
from tests.statements import statements

D, E, F = "NBG-LEASE-REGISTER", "NBG-LEASE-CANCEL", "NBG-PEST-CONTROL"
URL = "/api/v1/public/service-levels"
MONTHS = [f"2026-{m:02d}" for m in range(3, 13)] + ["2027-01", "2027-02"]
NONE = {"on_time_percent": None, "median_working_days": None, "suppressed": True}


@pytest.fixture(autouse=True)
def counted_afresh(app):
    """Each test's applications are its own, on the same day: the answers kept are not."""
    with app.app_context():
        forget_service_levels()
    yield
    with app.app_context():
        forget_service_levels()


@pytest.fixture
def more(app, levels):
    with app.app_context():
        applicant = an_applicant()
        d, e, f = (db.session.query(Service).filter_by(code=code).one() for code in (D, E, F))
        calendar = calendar_for(d.authority_id)

        def decided(service, target, stop, due=True):
            clock = SlaClock(target).start(at(7)).stop(stop, calendar)
            an_application(
                applicant, service, clock, clock.due_date(calendar, stop) if due else None
            )

        for day in (9, 10, 11):
            decided(d, 7, at(day, hour=10))
        for day in (8, 9, 10, 14):  # 1, 2, 3 and 5 working days: on time (due Sun 14)
            decided(e, 5, at(day, hour=10))
        decided(e, 5, at(17, hour=10))  # 8 working days: late, decided today
        for day in (8, 9, 10, 11, 14):
            decided(f, 6, at(day, hour=10), due=False)
        db.session.commit()
    return levels


def public(client, **headers):
    response = client.get(URL, query_string={"authority": "NBG"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response


def test_figures_per_service_over_90_days_and_per_month(client, more):
    body = public(client).get_json()
    assert body["as_of"] == "2027-02-16"
    assert body["window_from"] == "2026-11-19"
    assert body["minimum_completions"] == 5
    assert body["authority"]["code"] == "NBG"
    services = {line["service"]["code"]: line for line in body["services"]}
    codes = [line["service"]["code"] for line in body["services"]]
    assert codes == sorted(codes) and len(codes) > 20  # every active service, by code
    # A: seven completions, 4 on time; used 0 2 3 3 4 4 5
    assert services[A]["last_90_days"] == {
        "on_time_percent": 57.1,
        "median_working_days": 3.0,
        "suppressed": False,
    }
    assert [month["month"] for month in services[A]["months"]] == MONTHS
    by_month = {month.pop("month"): month for month in services[A]["months"]}
    # February: 1 2 3 4 5 9 decided, 4 on time; used 0 2 3 3 4 5. January: 10 alone.
    assert by_month["2027-02"] == {
        "on_time_percent": 66.7,
        "median_working_days": 3.0,
        "suppressed": False,
    }
    assert by_month["2027-01"] == NONE
    assert all(by_month[month] == NONE for month in MONTHS[:-2])
    # F: no target, so never on time or late; its median is no one's
    assert services[F]["last_90_days"] == {
        "on_time_percent": None,
        "median_working_days": 3.0,
        "suppressed": False,
    }
    # B two completions, C one, D three (all on time), E four by yesterday: no figure
    for code in (B, C, D, E):
        assert services[code]["last_90_days"] == NONE, code
        assert all(month["suppressed"] for month in services[code]["months"])


def test_no_person_can_be_read_from_it(client, more):
    text = public(client).get_data(as_text=True)
    for personal in ("Aisha", "Badr", "inspector", "received", "completed", "TEST-"):
        assert personal not in text


def test_a_day_later_the_fifth_completion_counts(client, more, monkeypatch):
    Clock(monkeypatch).stop_at(datetime(2027, 2, 18, 9, tzinfo=MUSCAT))
    body = public(client).get_json()
    assert body["as_of"] == "2027-02-17"
    services = {line["service"]["code"]: line for line in body["services"]}
    # used 1 2 3 5 8; the last late
    assert services[E]["last_90_days"] == {
        "on_time_percent": 80.0,
        "median_working_days": 3.0,
        "suppressed": False,
    }
    assert services[D]["last_90_days"] == NONE


def test_an_etag_answered_304_until_the_day_changes(app, client, more, monkeypatch):
    first = public(client)
    assert first.headers["Cache-Control"] == "public, no-cache"
    assert "Accept-Language" in first.headers["Vary"]
    tag = first.headers["ETag"]
    with statements(app) as sent:
        again = client.get(URL, query_string={"authority": "NBG"}, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.headers["ETag"] == tag
    assert len(sent) <= 1, sent.text()  # the catalogue's version at most
    Clock(monkeypatch).stop_at(datetime(2027, 2, 18, 9, tzinfo=MUSCAT))
    later = client.get(URL, query_string={"authority": "NBG"}, headers={"If-None-Match": tag})
    assert later.status_code == 200
    assert later.headers["ETag"] != tag


def test_counted_once_a_day(app, client, more, monkeypatch):
    with statements(app) as sent:
        body = public(client).get_json()
    # (the catalogue's version,) the authority, its services, the 90 days, the months
    assert len(sent) <= 5, sent.text()
    assert len(sent.touching("applications")) == 2, sent.text()
    with statements(app) as sent:  # another client, no ETag: the answer kept
        assert public(client).get_json() == body
    assert len(sent) <= 1, sent.text()
    Clock(monkeypatch).stop_at(datetime(2027, 2, 18, 9, tzinfo=MUSCAT))
    with statements(app) as sent:
        assert public(client).get_json()["as_of"] == "2027-02-17"
    assert len(sent.touching("applications")) == 2, sent.text()


def test_an_unknown_authority_is_refused_in_the_callers_language(client, now):
    response = client.get(URL, query_string={"authority": "XYZ"}, headers={"Accept-Language": "ar"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert "authority" in str(response.get_json())
    assert "لا توجد جهة بهذا الرمز" in str(response.get_json())
    assert client.get(URL).status_code == 422  # `authority` is required


def test_limited_per_address(app, database_url, now):
    limited = create_app(
        {
            **TEST_CONFIG,
            "DATABASE_URL": database_url,
            "RATE_LIMITS_ENABLED": True,
            "RATE_LIMIT_PUBLIC_REPORTS_PER_ADDRESS": "2/minute",
        }
    )
    client = limited.test_client()
    answers = [client.get(URL, query_string={"authority": "NBG"}).status_code for _ in range(3)]
    assert answers == [200, 200, 429]
