"""The case workflow's table, cell by cell (the answer key is written here), and its per-kind
rules through the API."""

from __future__ import annotations

from cases.lifecycle import CASES, KIND_ACTIONS
from tests.cases.helpers import COMPLAINT, act, file
from tests.factories import applicant_headers, staff_headers

HANDLERS = {"inspector", "department_head", "admin"}
HEADS = {"department_head", "admin"}
OPEN = {"received", "acknowledged", "in_study"}
EXPECTED = {
    # action: (sources, target, roles)
    "acknowledge": ({"received"}, "acknowledged", HANDLERS),
    "study": ({"received", "acknowledged"}, "in_study", HANDLERS),
    "reassign": (OPEN | {"escalated"}, "received", HEADS),
    "forward": (OPEN, "forwarded", HEADS),
    "answer": (OPEN | {"escalated"}, "answered", HANDLERS),
    "close": ({"answered"}, "closed", HANDLERS | {"applicant"}),
    "reopen": ({"answered", "closed"}, "in_study", {"applicant"}),
    "escalate": ({"answered", "closed"}, "escalated", {"applicant"}),
}


def test_the_table_has_exactly_the_expected_cells():
    table = {
        action: (set(t.sources), t.target, set(t.roles)) for action, t in CASES.transitions.items()
    }
    assert table == EXPECTED
    assert CASES.transitions["answer"].sla == "stop" and CASES.transitions["forward"].sla == "stop"


def test_each_kind_takes_its_own_actions():
    assert KIND_ACTIONS["complaint"] == set(EXPECTED)
    assert KIND_ACTIONS["inquiry"] == {"reassign", "forward", "answer", "close"}
    assert KIND_ACTIONS["ticket"] == set(EXPECTED) - {"forward"}
    for kind in ("suggestion", "comment"):
        assert KIND_ACTIONS[kind] == {
            "acknowledge",
            "study",
            "reassign",
            "forward",
            "answer",
            "close",
        }


def test_refusals_by_role_state_and_kind(app, client):
    _, mine = applicant_headers(client)
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    case_id = file(client, mine, "complaints", COMPLAINT)["id"]
    assert act(client, mine, case_id, "answer", status=403, answer="I answer myself")
    assert act(client, desk, case_id, "forward", status=403, authority="ABG", note="Not mine")
    assert act(client, desk, case_id, "close", status=409)["code"] == "transition_not_allowed"
    assert act(client, desk, case_id, "no_such_action", status=404)
    inquiry = file(
        client, mine, "inquiries", {"authority": "NBG", "subject": "Hours?", "description": "When?"}
    )
    refused = act(client, desk, inquiry["id"], "acknowledge", status=409)
    assert refused["code"] == "transition_not_allowed"
