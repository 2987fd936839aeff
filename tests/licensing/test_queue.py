"""The staff queue and the applicant's list at scale: the same answers, read in a fixed number of
statements, paged by `page` or by `cursor` (issue 13)."""

from __future__ import annotations

import base64
import json
import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app import pagination
from app.accounts.models import User
from app.extensions import db
from app.sla import SlaClock
from app.timeutil import utcnow
from licensing.models import Application
from licensing.schemas import ApplicationSchema
from tests.factories import applicant_headers, staff_headers
from tests.licensing.helpers import dumping_as
from tests.licensing.queue_rows import QUEUE_ORDER, mixed_queue
from tests.sla_rows import an_application, services_of
from tests.statements import statements

PROBLEM = "application/problem+json"
QUEUE = "/api/v1/applications"


@pytest.fixture
def queue(app, client):
    inspector, headers = staff_headers(app, client, "inspector", "NBG")
    ids = mixed_queue(app, inspector["id"])
    return ids, {label: n for n, label in ids.items()}, {**headers, "Accept-Language": "en"}


def _labels(names, answer):
    return [names[item["id"]] for item in answer.get_json()]


def _pagination(answer):
    return json.loads(answer.headers["X-Pagination"])


def _next_link(answer):
    found = re.fullmatch(r'<([^>]+)>; rel="next"', answer.headers.get("Link", ""))
    return found and found.group(1)


def _by_cursor(client, headers, url):
    """Follow the `Link: rel="next"` headers from `url`: the pages' items."""
    pages = []
    while url:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        pages.append(answer.get_json())
        url = _next_link(answer)
        assert (url is None) == ("next_cursor" not in _pagination(answer))
    return pages


def test_the_queue_is_in_due_date_order_with_the_json_of_each_application_alone(app, client, queue):
    ids, names, headers = queue
    answer = client.get(QUEUE, headers=headers)
    assert _labels(names, answer) == QUEUE_ORDER
    with app.app_context():  # each application read alone, its relations loaded one by one
        dumping_as(client.get("/api/v1/me", headers=headers).get_json()["id"])
        alone = [ApplicationSchema().dump(db.session.get(Application, ids[n])) for n in QUEUE_ORDER]
    assert answer.get_json() == alone
    shown = {names[item["id"]]: item for item in answer.get_json()}
    assert shown["k"]["licence_number"] == "NBG-L-2026-900001"
    assert shown["a"]["licence_number"] is None and shown["a"]["assignee"] is None
    assert shown["b"]["assignee"]["id"] == shown["e"]["assignee"]["id"]
    assert shown["c"]["assignee"]["id"] != shown["b"]["assignee"]["id"]
    assert [shown[n]["sla"]["due_date"] for n in ("d", "g", "j")] == [None, None, None]
    assert {shown[n]["service"]["code"] for n in shown} == set(_service_codes(app, 3))
    assert {shown[n]["authority"]["code"] for n in shown} == {"NBG"}
    assert _pagination(answer) == {
        "total": 11,
        "total_pages": 1,
        "first_page": 1,
        "last_page": 1,
        "page": 1,
    }


def test_a_page_is_read_in_the_same_statements_whatever_it_shows(app, client, queue):
    """11 applications of 3 services, 3 applicants, 2 assignees and a licence: 14 statements
    before the relations were loaded with the page (one lazy load for each), 4 before the
    calendar's version was read with them."""
    ids, names, headers = queue
    with statements(app) as sent:
        answer = client.get(QUEUE, headers=headers)
    assert answer.status_code == 200
    # the caller and their session; the page with its relations and its authority's calendar
    # version (the SLA; the calendar itself is kept per process); the count
    assert len(sent) == 3, sent.text()
    assert len(sent.touching("services")) == 1 and len(sent.touching("licences")) == 1, sent.text()
    assert len(sent.touching("authorities")) == 1, sent.text()
    cursor = _pagination(client.get(f"{QUEUE}?page_size=4", headers=headers))["next_cursor"]
    with statements(app) as sent:
        answer = client.get(f"{QUEUE}?page_size=4&cursor={cursor}", headers=headers)
    assert _labels(names, answer) == ["a", "c", "h", "k"]
    assert len(sent) == 2, sent.text()  # no count by cursor


@pytest.mark.parametrize("size", [1, 2, 3, 4, 11])
def test_paging_by_cursor_gives_what_paging_by_page_gives(client, queue, size):
    ids, names, headers = queue
    by_page = [
        client.get(f"{QUEUE}?page_size={size}&page={page}", headers=headers).get_json()
        for page in range(1, -(-len(QUEUE_ORDER) // size) + 1)
    ]
    by_cursor = _by_cursor(client, headers, f"{QUEUE}?page_size={size}")
    assert by_cursor == by_page
    assert [names[item["id"]] for page in by_cursor for item in page] == QUEUE_ORDER


def test_the_first_page_gives_the_cursor_of_the_second(client, queue):
    ids, names, headers = queue
    first = client.get(f"{QUEUE}?page_size=3", headers=headers)
    metadata = _pagination(first)
    assert {k: v for k, v in metadata.items() if k != "next_cursor"} == {
        "total": 11,
        "total_pages": 4,
        "first_page": 1,
        "last_page": 4,
        "page": 1,
        "next_page": 2,
    }
    assert _next_link(first) == f"/api/v1/applications?page_size=3&cursor={metadata['next_cursor']}"
    second = client.get(_next_link(first), headers=headers)
    assert _labels(names, second) == ["e", "a", "c"]
    last = client.get(f"{QUEUE}?page_size=3&page=4", headers=headers)
    assert "next_cursor" not in _pagination(last) and "Link" not in last.headers


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ("state=in_review", ["b", "f", "a", "h"]),
        ("assignee=me", ["b", "i", "e"]),
        ("assignee=none", ["f", "a", "h", "d", "j"]),
        ("state=draft&assignee=none", ["d", "j"]),
        ("sla_state=breached", ["b", "f"]),
        ("service=SERVICE1", ["b", "e", "h", "k"]),
        ("service=SERVICE1&state=in_review", ["b", "h"]),
        ("service=SERVICE0&assignee=none", ["a", "d", "j"]),
    ],
)
def test_filters_page_by_cursor_too(app, client, queue, filters, expected):
    ids, names, headers = queue
    filters = _filled(app, filters)
    whole = client.get(f"{QUEUE}?{filters}", headers=headers)
    assert _labels(names, whole) == expected
    pages = _by_cursor(client, headers, f"{QUEUE}?{filters}&page_size=1")
    assert [names[page[0]["id"]] for page in pages] == expected
    assert pages == [[item] for item in whole.get_json()]


def test_a_cursor_keeps_the_filters_it_is_given_with(client, queue):
    """A cursor is a place in the order: the next page of a filtered list, with other filters,
    is that list's next page from the same place."""
    ids, names, headers = queue
    cursor = _pagination(client.get(f"{QUEUE}?page_size=3", headers=headers))["next_cursor"]
    after_i = client.get(f"{QUEUE}?cursor={cursor}&state=in_review", headers=headers)
    assert _labels(names, after_i) == ["a", "h"]


def _problem_fields(answer):
    assert answer.status_code == 422 and answer.mimetype == PROBLEM, answer.get_data(as_text=True)
    return [(e["field"], e["detail"]) for e in answer.get_json()["errors"]]


def test_a_cursor_the_server_did_not_make_is_a_422_problem(app, client, queue):
    ids, names, headers = queue
    cursor = _pagination(client.get(f"{QUEUE}?page_size=3", headers=headers))["next_cursor"]
    payload, signature = cursor.split(".")
    forged = base64.urlsafe_b64encode(json.dumps(["applications.queue", True, None, 0]).encode())
    refused = "This cursor is not one this list gave; start again from the first page."
    for bad in (
        "abc",
        f"{payload}.{signature[:-2]}xx",
        f"{forged.decode().rstrip('=')}.{signature}",
    ):
        answer = client.get(f"{QUEUE}?cursor={bad}", headers=headers)
        assert _problem_fields(answer) == [("cursor", refused)]
    arabic = client.get(f"{QUEUE}?cursor=abc", headers={**headers, "Accept-Language": "ar"})
    assert _problem_fields(arabic)[0][1] != refused
    with_page = client.get(f"{QUEUE}?cursor={cursor}&page=2", headers=headers)
    assert _problem_fields(with_page) == [
        ("page", "A cursor continues the list by itself; leave out the page.")
    ]


def test_a_cursor_of_another_list_or_another_key_is_refused(app, client, queue):
    ids, names, headers = queue
    with app.test_request_context():
        mine = pagination.Keyset(sa.select(Application), (Application.id,), "applications.mine")
        wrong_length = pagination.Keyset(
            sa.select(Application), (Application.id,), "applications.queue"
        )
        wrong_type = pagination.Keyset(
            sa.select(Application), (Application.id, Application.id, Application.id), "x"
        )
        cursors = [
            mine.encode([5]),
            wrong_length.encode([5]),
            wrong_type.after(None).encode([1, 2, 3]),
        ]
        cursors.append(
            pagination.Keyset(sa.select(Application), (), "applications.queue").encode([])
        )
        queue_made = pagination.Keyset(
            sa.select(Application), (Application.sla_due_date,) * 3, "applications.queue"
        )
        cursors.append(queue_made.encode([False, "not a date", 1]))
    for cursor in cursors:
        assert (
            _problem_fields(client.get(f"{QUEUE}?cursor={cursor}", headers=headers))[0][0]
            == "cursor"
        )


def test_the_count_stops_at_the_cap(client, queue, monkeypatch):
    ids, names, headers = queue
    monkeypatch.setattr(pagination, "COUNT_CAP", 5)
    first = client.get(f"{QUEUE}?page_size=2", headers=headers)
    assert _labels(names, first) == ["b", "f"]
    metadata = _pagination(first)
    assert metadata.pop("next_cursor")
    assert metadata == {"total_at_least": 6, "first_page": 1, "page": 1, "next_page": 2}
    third = _pagination(client.get(f"{QUEUE}?page_size=2&page=3", headers=headers))
    third.pop("next_cursor")
    assert third == {
        "total_at_least": 7,
        "first_page": 1,
        "page": 3,
        "previous_page": 2,
        "next_page": 4,
    }
    # the count goes on to the page asked for (past page 3, to 7); the last page's count ends
    # with the list: exact
    deep = client.get(f"{QUEUE}?page_size=2&page=6", headers=headers)
    assert _labels(names, deep) == ["j"]
    assert _pagination(deep) == {
        "total": 11,
        "total_pages": 6,
        "first_page": 1,
        "last_page": 6,
        "page": 6,
        "previous_page": 5,
    }


def test_an_applicants_list_is_newest_first_by_page_and_by_cursor(app, client):
    applicant, headers = applicant_headers(client)
    with app.app_context():
        owner = db.session.get(User, applicant["id"])
        services = services_of("NBG", 2)
        made = [an_application(owner, services[n % 2], SlaClock(3, utcnow())).id for n in range(5)]
        db.session.commit()
    newest_first = list(reversed(made))
    assert [a["id"] for a in client.get(QUEUE, headers=headers).get_json()] == newest_first
    pages = _by_cursor(client, headers, f"{QUEUE}?page_size=2")
    assert [[a["id"] for a in page] for page in pages] == [
        newest_first[:2],
        newest_first[2:4],
        newest_first[4:],
    ]
    with statements(app) as sent:
        client.get(f"{QUEUE}?page_size=2", headers=headers)
    # the caller, the page (with the calendar version), the count
    assert len(sent) == 3, sent.text()
    inspector_cursor = _pagination(client.get(f"{QUEUE}?page_size=2", headers=headers))[
        "next_cursor"
    ]
    _, staff = staff_headers(app, client, "inspector", "NBG")
    assert (
        _problem_fields(client.get(f"{QUEUE}?cursor={inspector_cursor}", headers=staff))[0][0]
        == "cursor"
    )


# The index each filter's page is read from, in the queue's order (no sort).
INDEX_OF = {
    "": "ix_applications_queue",
    "state=in_review": "ix_applications_queue_state",
    "service=SERVICE1": "ix_applications_queue_service",
    "assignee=me": "ix_applications_queue_assignee",
    "sla_state=breached": "ix_applications_queue_running",
    # Its own index at scale; over this handful of rows PostgreSQL may as well read the queue's
    # index and filter the family: either way in the queue's order, no sort (a pattern).
    "family=FAMILY0": "ix_applications_queue(_family)?",
}


@pytest.mark.parametrize("filters", INDEX_OF)
@pytest.mark.parametrize("by", ["page", "cursor"])
def test_a_page_is_read_from_an_index_in_the_queues_order(app, client, queue, filters, by):
    ids, names, headers = queue
    url = f"{QUEUE}?page_size=1&{_filled(app, filters)}"
    if by == "cursor":
        url = _next_link(client.get(url, headers=headers))
    with _page_query(app) as sent:
        assert client.get(url, headers=headers).status_code == 200
    plan = _plan(app, *sent[-1])
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
    assert re.search(rf"\b{INDEX_OF[filters]}\b", plan), plan


@contextmanager
def _page_query(app):
    """The page's statements as sent, with their parameters (the page is read from the
    applications table in a subquery, its references joined to it)."""
    sent = []
    with app.app_context():
        engine = db.engine

    def record(conn, cursor, statement, parameters, context, executemany):
        if re.search(r"\bFROM applications\b", statement) and "ORDER BY " in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _plan(app, statement, parameters) -> str:
    """The database's plan of the statement, on PostgreSQL with a table scan and a sort priced
    out of reach (a handful of rows would be read whole and sorted, whatever the indexes), and
    with the table's statistics taken now: without them the planner's choice between two
    indexes that both serve the order depends on whether autovacuum has analysed the table yet,
    which it does under load only."""
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(row[-1] for row in rows)
        connection.exec_driver_sql("ANALYZE applications")
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        connection.exec_driver_sql("SET LOCAL enable_sort = off")
        rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
        return "\n".join(row[0] for row in rows)


def _filled(app, filters: str) -> str:
    """`filters` with SERVICEn and FAMILYn standing for the code and family of the nth service
    of the queue's rows."""
    with app.app_context():
        for n, service in enumerate(services_of("NBG", 3)):
            filters = filters.replace(f"SERVICE{n}", service.code)
            filters = filters.replace(f"FAMILY{n}", service.family)
    return filters


def _service_codes(app, count: int) -> list[str]:
    with app.app_context():
        return [service.code for service in services_of("NBG", count)]
