"""Auditors read and export their authority's chain; nobody else's, and nobody else does."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa

from app.audit import record_change
from app.authorities.models import Authority
from app.extensions import db
from tests.audit.tampering import outside_hash
from tests.clock import Clock
from tests.factories import applicant_headers, staff_headers


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch)


def _authority(code: str) -> int:
    return db.session.scalar(sa.select(Authority.id).where(Authority.code == code))


def _changes_on(app, clock, code: str, *moments: tuple[int, int, int, int], subject="S-1"):
    """One committed change per Muscat wall time in `moments`, to `code`'s records; the
    clock stays at the last one."""
    with app.app_context():
        authority = _authority(code)
        for moment in moments:
            clock.set(*moment)
            record_change("service.updated", "service", subject, authority_id=authority)
            db.session.commit()
        db.session.remove()


def _listed(client, headers, query="") -> list[dict]:
    response = client.get(f"/api/v1/audit{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_an_admin_reads_their_authoritys_chain_by_muscat_day(app, client, clock):
    # 01:00 on 10 March in Muscat is still 9 March in UTC: the day is Muscat's.
    _changes_on(app, clock, "NBG", (2026, 3, 9, 12), (2026, 3, 10, 1), (2026, 3, 11, 23))
    _, headers = staff_headers(app, client, "admin", "NBG")
    day = _listed(client, headers, "?from=2026-03-10&to=2026-03-10")
    assert [(r["seq"], r["at"], r["action"]) for r in day] == [
        (2, "2026-03-10T01:00:00+04:00", "service.updated")
    ]
    assert len(day[0]["hash"]) == 64 and day[0]["prev_hash"] != "0" * 64
    everything = _listed(client, headers, "?from=2026-03-09")
    assert [r["seq"] for r in everything][:3] == [1, 2, 3]
    response = client.get("/api/v1/audit?page_size=2", headers=headers)
    assert json.loads(response.headers["X-Pagination"])["total"] == 4  # and the staff account


def test_the_subject_filter_takes_type_and_id(app, client, clock):
    _changes_on(app, clock, "NBG", (2026, 3, 9, 12), subject="S-1")
    _changes_on(app, clock, "NBG", (2026, 3, 9, 13), subject="S-2")
    _, headers = staff_headers(app, client, "auditor", "NBG")
    assert [r["subject_id"] for r in _listed(client, headers, "?subject=service:S-2")] == ["S-2"]
    bad = client.get("/api/v1/audit?subject=S-2", headers=headers)
    assert bad.status_code == 422
    assert "subject" in json.dumps(bad.get_json())


def test_another_authoritys_admin_sees_nothing_and_others_are_refused(app, client, clock):
    _changes_on(app, clock, "NBG", (2026, 3, 9, 12), (2026, 3, 9, 13))
    _, abg_admin = staff_headers(app, client, "admin", "ABG")
    assert [r["action"] for r in _listed(client, abg_admin)] == ["staff.created"]
    export = client.get("/api/v1/audit/export.csv", headers=abg_admin).get_data(as_text=True)
    assert "service.updated" not in export
    for role in ("inspector", "finance", "department_head"):
        _, headers = staff_headers(app, client, role, "NBG")
        assert client.get("/api/v1/audit", headers=headers).status_code == 403, role
        assert client.get("/api/v1/audit/export.csv", headers=headers).status_code == 403
    _, applicant = applicant_headers(client)
    assert client.get("/api/v1/audit", headers=applicant).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


def test_the_export_streams_rows_an_outsider_can_verify_and_is_audited(app, client, clock):
    _changes_on(app, clock, "NBG", (2026, 3, 9, 12), (2026, 3, 10, 1), (2026, 3, 11, 9))
    auditor, headers = staff_headers(app, client, "auditor", "NBG")
    response = client.get("/api/v1/audit/export.csv?from=2026-03-09", headers=headers)
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="audit-NBG.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["seq"] for r in rows] == ["1", "2", "3", "4", "5"]
    assert rows[1]["at"] == "2026-03-09T21:00:00.000000Z"  # 01:00 in Muscat, in UTC
    assert rows[0]["prev_hash"] == "0" * 64
    for before, row in zip([None, *rows], rows, strict=False):
        assert outside_hash(row) == row["hash"]
        assert before is None or row["prev_hash"] == before["hash"]
    # The export is itself on record, in the chain it exported (its own last line).
    assert (rows[-1]["action"], rows[-1]["actor_id"], rows[-1]["actor_role"]) == (
        "audit.exported",
        str(auditor["id"]),
        "auditor",
    )
    assert json.loads(rows[-1]["after"]) == {"from": "2026-03-09", "to": None, "subject": None}


def test_an_auditor_reads_reports_and_payments_but_writes_nothing(app, client):
    _, headers = staff_headers(app, client, "auditor", "NBG")
    assert client.get("/api/v1/reports/sla", headers=headers).status_code == 200
    assert client.get("/api/v1/payments", headers=headers).status_code == 200
    refused = [
        ("POST", "/api/v1/staff"),
        ("POST", "/api/v1/applications/1/messages"),
        ("POST", "/api/v1/applications/1/actions/approve"),
        ("PATCH", "/api/v1/services/NBG-X"),
        ("POST", "/api/v1/announcements"),
    ]
    for method, path in refused:
        response = client.open(path, method=method, json={}, headers=headers)
        assert response.status_code == 403, (method, path)
