"""The staff queue by due date, with its filters; an applicant's own list."""

from __future__ import annotations

from tests.cases.helpers import COMPLAINT, file
from tests.factories import applicant_headers, staff_headers

SUGGESTION = {"authority": "NBG", "subject": "More parks", "description": "Plant more trees."}
TICKET = {"authority": "NBG", "subject": "Login fails", "description": "Error on sign-in."}


def references(client, headers, **query):
    response = client.get("/api/v1/cases", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [c["reference"] for c in response.get_json()]


def test_the_queue_is_sorted_by_due_date_and_filtered(app, client, clock):
    clock.set(2026, 12, 6, 9)
    _, mine = applicant_headers(client)
    _, theirs = applicant_headers(client)
    _, admin = staff_headers(app, client, "admin", "NBG", department="it")
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    _, abg_admin = staff_headers(app, client, "admin", "ABG", department="it")
    complaint = file(client, mine, "complaints", COMPLAINT)["reference"]  # due Dec 20
    suggestion = file(client, theirs, "suggestions", SUGGESTION)["reference"]  # due Dec 20
    ticket = file(client, mine, "tickets", TICKET)["reference"]  # due Dec 7

    assert references(client, admin) == [ticket, complaint, suggestion]
    assert references(client, admin, kind="complaint") == [complaint]
    assert references(client, admin, department="it") == [ticket]
    assert references(client, admin, state="answered") == []
    # The desk sees its department's confidential complaint and the authority's other cases.
    assert references(client, desk) == [ticket, complaint, suggestion]
    assert references(client, abg_admin) == []
    assert references(client, mine) == [ticket, complaint]  # newest first
    assert references(client, theirs) == [suggestion]


def test_a_confidential_complaint_stays_out_of_other_departments_queues(app, client):
    _, mine = applicant_headers(client)
    _, licensing = staff_headers(app, client, "inspector", "NBG", department="licensing")
    complaint = file(client, mine, "complaints", COMPLAINT)["reference"]
    ticket = file(client, mine, "tickets", TICKET)["reference"]
    assert references(client, licensing) == [ticket]
    assert complaint


def test_the_queue_reads_on_by_cursor(app, client):
    import json

    _, mine = applicant_headers(client)
    _, admin = staff_headers(app, client, "admin", "NBG", department="it")
    filed = [file(client, mine, "tickets", TICKET)["reference"] for _ in range(3)]
    first = client.get("/api/v1/cases", query_string={"page_size": 2}, headers=admin)
    cursor = json.loads(first.headers["X-Pagination"])["next_cursor"]
    rest = client.get(
        "/api/v1/cases", query_string={"page_size": 2, "cursor": cursor}, headers=admin
    )
    assert [c["reference"] for c in first.get_json() + rest.get_json()] == filed
    other = client.get("/api/v1/cases", query_string={"cursor": cursor}, headers=mine)
    assert other.status_code == 422  # a queue's cursor is not the applicant's list's
