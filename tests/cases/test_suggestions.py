"""A suggestion is received, acknowledged, studied and answered with a decision and its
reasons; published with its answer after moderation; hidden, it leaves the public list and its
audit rows stay."""

from __future__ import annotations

from tests.cases.helpers import act, audit_actions, file
from tests.factories import applicant_headers, staff_headers

SUGGESTION = {
    "authority": "NBG",
    "subject": "Shaded bus stops on the corniche",
    "description": "Please add shaded seating at the corniche bus stops; it is very hot.",
}


def published(client, **query):
    response = client.get("/api/v1/suggestions/published", query_string=query)
    assert response.status_code == 200
    return [s["reference"] for s in response.get_json()]


def test_a_suggestion_is_answered_published_after_moderation_and_hidden_again(app, client):
    sender, mine = applicant_headers(client)
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, abg_head = staff_headers(app, client, "department_head", "ABG")

    filed = file(client, mine, "suggestions", SUGGESTION)
    case_id, reference = filed["id"], filed["reference"]
    assert (filed["kind"], filed["state"], filed["moderation_state"]) == (
        "suggestion",
        "received",
        "pending",
    )
    assert filed["due_date"] is not None
    act(client, desk, case_id, "acknowledge")
    act(client, desk, case_id, "study")
    # A suggestion's answer is a decision with its reasons.
    refused = act(client, desk, case_id, "answer", status=422, answer="We will see.")
    assert error_fields_of(refused) == {"decision"}
    reasons = "Accepted: ten stops get shades in the 2027 budget."
    answered = act(client, desk, case_id, "answer", answer=reasons, decision="accepted")
    assert (answered["state"], answered["decision"]) == ("answered", "accepted")
    # Nothing is public before a moderator publishes it.
    assert reference not in published(client)
    # Only moderators (department heads, admins) of its authority decide.
    by_desk = client.post(f"/api/v1/cases/{case_id}/moderation/publish", json={}, headers=desk)
    assert by_desk.status_code == 403
    assert (
        client.post(
            f"/api/v1/cases/{case_id}/moderation/publish", json={}, headers=abg_head
        ).status_code
        == 404
    )
    response = client.post(f"/api/v1/cases/{case_id}/moderation/publish", json={}, headers=head)
    assert response.status_code == 200 and response.get_json()["moderation_state"] == "published"
    shown = client.get("/api/v1/suggestions/published").get_json()
    entry = next(s for s in shown if s["reference"] == reference)
    assert entry["answer"] == reasons and entry["decision"] == "accepted"
    assert "person" not in entry and sender["name"] not in str(entry)  # never who sent it
    assert reference in published(client, authority="NBG")
    assert reference not in published(client, authority="ABG")

    no_reason = client.post(f"/api/v1/cases/{case_id}/moderation/hide", json={}, headers=head)
    assert no_reason.status_code == 422
    hidden = client.post(
        f"/api/v1/cases/{case_id}/moderation/hide",
        json={"reason": "Names a private person"},
        headers=head,
    )
    assert hidden.status_code == 200 and hidden.get_json()["moderation_state"] == "hidden"
    assert reference not in published(client)
    assert [a for a, _ in audit_actions(app, reference)] == [
        "case.received",
        "case.acknowledge",
        "case.study",
        "case.answer",
        "moderation.publish",
        "moderation.hide",
    ]


def test_a_comment_is_published_only_once_answered(app, client):
    _, mine = applicant_headers(client)
    _, head = staff_headers(app, client, "department_head", "NBG")
    filed = file(client, mine, "suggestions", {**SUGGESTION, "kind": "comment"})
    assert filed["kind"] == "comment"
    early = client.post(f"/api/v1/cases/{filed['id']}/moderation/publish", json={}, headers=head)
    assert early.status_code == 409 and early.get_json()["code"] == "not_publishable"


def test_a_suggestion_takes_no_reopening(app, client):
    _, mine = applicant_headers(client)
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    case_id = file(client, mine, "suggestions", SUGGESTION)["id"]
    act(client, desk, case_id, "answer", answer="Noted, thank you.", decision="noted")
    refused = act(client, mine, case_id, "reopen", status=409, note="Please reconsider")
    assert refused["code"] == "transition_not_allowed"


def error_fields_of(problem):
    return {e["field"] for e in problem["errors"]}
