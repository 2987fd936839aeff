"""The satisfaction report: count, mean and spread per service, department and month (Asia/
Muscat), over a span of Muscat dates, checked against figures worked out here by hand."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import datetime

import pytest
import sqlalchemy as sa

from app import uow
from app.authorities.models import Authority, Department
from app.catalogue.models import Service
from app.extensions import db
from app.satisfaction import SatisfactionRating
from app.timeutil import MUSCAT
from tests.factories import applicant_headers, staff_headers
from tests.surveys.helpers import ok

COMPLAINT, CERTIFICATE = "NBG-COMPLAINT", "NBG-CERT-TO-WHOM-IT-MAY-CONCERN"
# (authority, service, department, score, Muscat wall time of the rating); the fourth is a
# refund's rating, the others applications'.
RATINGS = [
    ("NBG", COMPLAINT, "licensing", 5, (2026, 11, 3, 10, 0)),
    ("NBG", COMPLAINT, "licensing", 4, (2026, 11, 20, 12, 0)),
    ("NBG", COMPLAINT, None, 2, (2026, 12, 1, 1, 0)),  # 30 November in UTC: December in Muscat
    ("NBG", CERTIFICATE, "health", 3, (2026, 12, 5, 9, 0)),
    ("NBG", CERTIFICATE, "licensing", 5, (2026, 12, 6, 9, 0)),
    ("NBG", None, None, 1, (2026, 12, 7, 9, 0)),
    ("NBG", COMPLAINT, None, 3, (2026, 12, 31, 23, 30)),  # the last day, late: in
    ("NBG", COMPLAINT, None, 1, (2026, 10, 31, 23, 0)),  # the day before `from`: out
    ("NBG", COMPLAINT, None, 5, (2027, 1, 1, 0, 30)),  # the day after `to`: out
    ("ABG", None, None, 1, (2026, 11, 10, 9, 0)),  # another authority: out
]
SPAN = "from=2026-11-01&to=2026-12-31"


def _spread(*scores):
    return {str(s): scores.count(s) for s in range(1, 6)}


@pytest.fixture
def ratings(app, client):
    person, _ = applicant_headers(client)
    with app.app_context(), uow.transaction():
        authority = {a.code: a.id for a in db.session.scalars(sa.select(Authority))}
        services = dict(db.session.execute(sa.select(Service.code, Service.id)).all())
        departments = dict(
            db.session.execute(
                sa.select(Department.code, Department.id).where(
                    Department.authority_id == authority["NBG"]
                )
            ).all()
        )
        for n, (code, service, department, score, at) in enumerate(RATINGS, start=1):
            db.session.add(
                SatisfactionRating(
                    subject_type="refund" if n == 4 else "application",
                    subject_id=900_000 + n,
                    reference=f"R-{n}",
                    authority_id=authority[code],
                    service_id=services[service] if service else None,
                    department_id=departments[department] if department else None,
                    person_id=person["id"],
                    score=score,
                    rated_at=datetime(*at, tzinfo=MUSCAT),
                )
            )


def _report(client, headers, query):
    return ok(client.get(f"/api/v1/reports/satisfaction?{query}", headers=headers))


def test_per_service(app, client, ratings):
    _, head = staff_headers(app, client, "department_head", "NBG")
    report = _report(client, head, SPAN + "&group=service")
    assert (report["from"], report["to"], report["group"]) == (
        "2026-11-01",
        "2026-12-31",
        "service",
    )
    rows = [(r["key"], r["count"], r["mean"], r["distribution"]) for r in report["groups"]]
    assert rows == [
        (CERTIFICATE, 2, 4.0, _spread(3, 5)),
        (COMPLAINT, 4, 3.5, _spread(5, 4, 2, 3)),
        (None, 1, 1.0, _spread(1)),
    ]
    assert report["groups"][1]["name_en"]  # the service's names come with its code
    total = report["total"]
    assert (total["count"], total["mean"]) == (7, 3.29)  # 23 / 7
    assert total["distribution"] == _spread(5, 4, 2, 3, 5, 1, 3)


def test_per_department_and_per_muscat_month(app, client, ratings):
    _, auditor = staff_headers(app, client, "auditor", "NBG")
    by_department = _report(client, auditor, SPAN + "&group=department")
    assert [(r["key"], r["count"], r["mean"]) for r in by_department["groups"]] == [
        ("health", 1, 3.0),
        ("licensing", 3, 4.67),  # (5 + 4 + 5) / 3
        (None, 3, 2.0),
    ]
    assert by_department["groups"][0]["name_en"] == "Health Control Department"
    by_month = _report(client, auditor, SPAN + "&group=month")
    assert [(r["key"], r["count"], r["mean"], r["distribution"]) for r in by_month["groups"]] == [
        ("2026-11", 2, 4.5, _spread(5, 4)),
        ("2026-12", 5, 2.8, _spread(2, 3, 5, 1, 3)),
    ]
    everything = _report(client, auditor, "group=month")
    assert [(r["key"], r["count"]) for r in everything["groups"]] == [
        ("2026-10", 1),
        ("2026-11", 2),
        ("2026-12", 5),
        ("2027-01", 1),
    ]


def test_the_report_as_csv_and_who_may_read_it(app, client, ratings):
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    _, applicant = applicant_headers(client)
    _, elsewhere = staff_headers(app, client, "admin", "ABG")

    response = client.get(
        f"/api/v1/reports/satisfaction?{SPAN}&group=month&format=csv", headers=head
    )
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows == [
        [
            "group",
            "key",
            "name_ar",
            "name_en",
            "count",
            "mean",
            *(f"score_{s}" for s in range(1, 6)),
        ],
        ["month", "2026-11", "", "", "2", "4.5", "0", "0", "0", "1", "1"],
        ["month", "2026-12", "", "", "5", "2.8", "1", "1", "2", "0", "1"],
        ["month", "ALL", "", "", "7", "3.29", "1", "1", "2", "1", "2"],
    ]
    assert client.get("/api/v1/reports/satisfaction", headers=inspector).status_code == 403
    assert client.get("/api/v1/reports/satisfaction", headers=applicant).status_code == 403
    other = _report(client, elsewhere, SPAN)
    assert (other["total"]["count"], other["total"]["mean"]) == (1, 1.0)
    backwards = client.get(
        "/api/v1/reports/satisfaction?from=2026-12-01&to=2026-11-01", headers=head
    )
    assert backwards.status_code == 422
    assert [e["field"] for e in backwards.get_json()["errors"]] == ["to"]
    assert client.get("/api/v1/reports/satisfaction?group=year", headers=head).status_code == 422


def test_one_kind_of_rated_record(app, client, ratings):
    _, head = staff_headers(app, client, "department_head", "NBG")
    refunds = _report(client, head, SPAN + "&kind=refund")
    assert [(r["key"], r["count"], r["mean"]) for r in refunds["groups"]] == [(CERTIFICATE, 1, 3.0)]
    applications = _report(client, head, SPAN + "&kind=application")["total"]
    assert (applications["count"], applications["mean"]) == (6, 3.33)  # (23 - 3) / 6
