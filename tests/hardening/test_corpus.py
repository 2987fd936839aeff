"""The hostile corpus (tests/hardening/corpus.py) over every operation, anonymous and as each
of the six roles, on SQLite and PostgreSQL: no answer is a 5xx, and afterwards every list
still answers 200 to every role allowed on it."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from app.accounts.models import Role
from tests.factories import applicant_headers, bearer, login, staff_headers
from tests.hardening.corpus import hostile_cases, operations

STAFF_ROLES = ("inspector", "finance", "department_head", "admin", "auditor")


@pytest.fixture
def identities(app, client):
    """Anonymous, an applicant with a draft of theirs, and staff of its authority."""
    applicant, headers = applicant_headers(client)
    draft = client.post(
        "/api/v1/applications",
        json={"service": "NBG-COMPLAINT", "details": {"purpose": "Noise at night"}},
        headers=headers,
    )
    assert draft.status_code == 201, draft.get_json()
    people = {"anonymous": (None, {}), "applicant": (applicant, headers)}
    for role in STAFF_ROLES:
        people[role] = staff_headers(app, client, role, "NBG")
    return people, draft.get_json()


def _lists(spec) -> list[tuple[str, list[str]]]:
    """(path, allowed roles) of every GET without path parameters whose 200 is an array."""
    found = []
    for path, method, operation, _ in operations(spec):
        ok = operation.get("responses", {}).get("200", {}).get("content", {})
        schema = ok.get("application/json", {}).get("schema", {})
        if method == "get" and "{" not in path and schema.get("type") == "array":
            found.append((path, operation.get("x-allowed-roles", [])))
    return found


def test_the_hostile_corpus_gets_no_5xx_and_leaves_every_list_working(app, client, identities):
    people, draft = identities
    spec = client.get("/api/openapi.json").get_json()
    cases = hostile_cases(spec, {"application_id": str(draft["id"]), "code": "NBG-COMPLAINT"})
    assert len(cases) >= 200
    assert {c.operation for c in cases} == {f"{m.upper()} {p}" for p, m, _, _ in operations(spec)}

    started, server_errors, statuses = time.monotonic(), [], Counter()
    for who, (person, headers) in people.items():
        for case in cases:
            response = case.send(client, headers)
            statuses[response.status_code] += 1
            if case.operation == "POST /api/v1/auth/logout" and response.status_code < 300:
                headers = bearer(login(client, person["email"]))  # the rest with a live token
            if response.status_code >= 500:
                server_errors.append(f"{who}: {case} -> {response.status_code}")
    assert server_errors == [], "\n".join(server_errors[:40])
    took = time.monotonic() - started
    print(f"{statuses.total()} hostile requests in {took:.1f} s: {sorted(statuses.items())}")

    # Tokens may have been revoked by a hostile logout; what must hold is that the data is not
    # poisoned: every list answers 200 to a fresh login of every role allowed on it.
    fresh = {"anonymous": {}}
    for who, (person, _) in people.items():
        if person is not None:
            fresh[who] = bearer(login(client, person["email"]))
    roles = {r.value for r in Role}
    lists = _lists(spec)
    assert len(lists) >= 8
    for path, allowed in lists:
        callers = roles if "authenticated" in allowed else set(allowed) & roles
        if "public" in allowed:
            callers = roles | {"anonymous"}
        for who in sorted(callers):
            response = client.get(_with_required_query(path), headers=fresh[who])
            assert response.status_code == 200, (who, path, response.get_data(as_text=True))


def _with_required_query(path: str) -> str:
    """The lists that need a query parameter get a plain one."""
    return {"/api/v1/calendar/holidays": f"{path}?year=2026"}.get(path, path)
