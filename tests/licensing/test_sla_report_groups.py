"""`GET /api/v1/reports/sla` per department, service, inspector, family and month, over a span,
as JSON and CSV, against the figures worked out by hand in tests/licensing/service_level_rows.py.
"""

from __future__ import annotations

import codecs
import csv
import io

from tests.factories import staff_headers
from tests.licensing.service_level_rows import (  # noqa: F401 - fixtures `levels` and `now`
    SERVICE_A,
    SERVICE_B,
    SERVICE_C,
    A,
    B,
    C,
    fifteen_applications,
    figures,
    frozen_clock,
)
from tests.statements import statements


def rows(client, headers, **query) -> dict:
    response = client.get("/api/v1/reports/sla", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["as_of"] == "2027-02-17"
    return {_name(line.pop("group")): line for line in body["rows"]}


def _name(group: dict):
    return group.get("code", group.get("name"))


def test_per_service_by_default_with_the_old_lines_kept(app, client, levels):
    _, head = staff_headers(app, client, "department_head", "NBG")
    response = client.get("/api/v1/reports/sla", headers=head)
    body = response.get_json()
    assert body["group_by"] == "service"
    assert {_name(row.pop("group")): row for row in body["rows"]} == {
        A: SERVICE_A,
        B: SERVICE_B,
        C: SERVICE_C,
    }
    # Today's lines, unchanged for the clients that read them (C has no due date: the old
    # summary judges its clocks by their target days, as it always has).
    old = {line["service"]["code"]: line for line in body["services"]}
    assert set(old) == {A, B, C}
    assert old[A]["started"] == 10 and old[A]["decided"] == 7 and old[A]["met"] == 4
    assert set(old[A]) == {
        "service", "started", "decided", "met", "breached", "on_track", "at_risk", "paused",
        "average_working_days_used",
    }  # fmt: skip


def test_each_grouping(app, client, levels):
    _, auditor = staff_headers(app, client, "auditor", "NBG")
    assert rows(client, auditor, group_by="department") == {
        "health": SERVICE_B,
        "licensing": figures(12, 8, 4, 3, 57.1, 3.5, 5.0, 4, 1, 1),
    }
    assert rows(client, auditor, group_by="family") == {
        "health_card": SERVICE_B,
        "lease": SERVICE_C,
        "municipal_licence": SERVICE_A,
    }
    assert rows(client, auditor, group_by="month") == {
        "2027-01": figures(2, 1, 0, 1, 0.0, 4.0, 4.0, 1, 1, 0),
        "2027-02": figures(13, 9, 6, 2, 75.0, 4.0, 5.0, 4, 1, 1),
    }
    assert rows(client, auditor, group_by="inspector") == {
        "Aisha Al Balushi": figures(4, 4, 3, 1, 75.0, 3.5, 4.0, 0, 0, 0),
        "Badr Al Hinai": figures(3, 2, 1, 1, 50.0, 2.5, 4.5, 1, 0, 0),
        None: figures(8, 4, 2, 1, 66.7, 4.0, 4.7, 4, 2, 1),
    }


def test_a_span_and_one_service(app, client, levels):
    _, admin = staff_headers(app, client, "admin", "NBG")
    assert rows(client, admin, **{"from": "2027-02-11", "to": "2027-02-17"}) == {
        A: figures(2, 1, 1, 0, 100.0, 0.0, 0.0, 1, 0, 0)
    }
    assert rows(client, admin, service=B, group_by="month") == {
        "2027-01": figures(1, 0, 0, 0, None, None, None, 1, 1, 0),  # 13
        "2027-02": figures(2, 2, 2, 0, 100.0, 4.0, 4.0, 0, 0, 0),  # 11 and 12
    }


def test_another_authority_sees_only_its_own(app, client, levels):
    _, head = staff_headers(app, client, "department_head", "ABG")
    for group_by in ("service", "inspector", "department"):
        got = rows(client, head, group_by=group_by)
        assert [row["received"] for row in got.values()] == [1]
    assert "Aisha Al Balushi" not in rows(client, head, group_by="inspector")


def read_csv(response) -> list[dict]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)  # Excel reads Arabic so
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_csv_read_back(app, client, levels):
    _, head = staff_headers(app, client, "department_head", "NBG")
    got = read_csv(client.get("/api/v1/reports/sla", query_string={"format": "csv"}, headers=head))
    with app.app_context():
        from app.catalogue.models import Service
        from app.extensions import db

        arabic = db.session.query(Service.name_ar).filter_by(code=C).scalar()
    assert [line["service_code"] for line in got] == [B, C, A]
    assert got[1] == {
        "service_code": C,
        "service_name_ar": arabic,
        "service_name_en": got[1]["service_name_en"],
        "received": "2",
        "completed": "1",
        "completed_on_time": "0",
        "completed_late": "0",
        "open": "1",
        "breached": "0",
        "paused": "0",
        "on_time_percent": "",  # no target
        "median_working_days": "5.0",
        "p90_working_days": "5.0",
    }
    assert got[2]["on_time_percent"] == "57.1" and got[2]["p90_working_days"] == "4.4"


def test_csv_by_accept_header_per_inspector(app, client, levels):
    _, head = staff_headers(app, client, "department_head", "NBG")
    response = client.get(
        "/api/v1/reports/sla",
        query_string={"group_by": "inspector"},
        headers={**head, "Accept": "text/csv"},
    )
    got = read_csv(response)
    assert [(line["inspector_name"], line["received"]) for line in got] == [
        ("Aisha Al Balushi", "4"),
        ("Badr Al Hinai", "3"),
        ("", "8"),
    ]
    assert got[0]["inspector_id"] == str(levels["aisha"])


def test_an_unknown_grouping_is_refused(app, client, levels):
    _, head = staff_headers(app, client, "department_head", "NBG")
    response = client.get("/api/v1/reports/sla", query_string={"group_by": "colour"}, headers=head)
    assert response.status_code == 422
    assert "group_by" in str(response.get_json())


def test_statements_do_not_grow_with_the_rows(app, client, levels):
    _, head = staff_headers(app, client, "department_head", "NBG")
    counts = {}
    for group_by in ("service", "inspector", "month"):
        with statements(app) as sent:
            assert client.get(
                "/api/v1/reports/sla", query_string={"group_by": group_by}, headers=head
            ).status_code == 200  # fmt: skip
        counts[group_by] = len(sent)
    with statements(app) as sent:
        client.get("/api/v1/reports/sla", query_string={"format": "csv"}, headers=head)
    # the caller, the figures and the old summary; the CSV has no summary
    assert counts == {"service": 3, "inspector": 3, "month": 3}, sent.text()
    assert len(sent) == 2, sent.text()
