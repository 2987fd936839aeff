"""A complaint from filing to close: place, time, party and evidence; reassigned to another
department and forwarded to another authority; escalated on a fixed clock; answered, rated,
reopened, escalated by a second dissatisfaction, closed. Who sees it at each point."""

from __future__ import annotations

from app import uow
from app.escalation.sweep import escalate
from tests.cases.helpers import (
    COMPLAINT,
    act,
    audit_actions,
    authority_id,
    file,
    notices,
    read,
    set_escalation,
    upload,
)
from tests.escalation.rows import hold_level_two
from tests.factories import applicant_headers, staff_headers


def test_a_complaint_walks_from_filing_through_forwarding_and_escalation_to_close(
    app, client, clock
):
    clock.set(2026, 12, 6, 9)  # a Sunday, a working day in Oman
    complainant, mine = applicant_headers(client)
    _, stranger = applicant_headers(client)
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    desk_head_user, desk_head = staff_headers(
        app, client, "department_head", "NBG", department="customer_service"
    )
    health_head_user, health_head = staff_headers(
        app, client, "department_head", "NBG", department="health"
    )
    _, licensing_inspector = staff_headers(app, client, "inspector", "NBG")
    _, abg_head_other = staff_headers(app, client, "department_head", "ABG", department="health")
    abg_head_user, abg_head = staff_headers(
        app, client, "department_head", "ABG", department="customer_service"
    )

    filed = file(client, mine, "complaints", {**COMPLAINT, "tajawob_reference": "TJW-2026-5512"})
    case_id, reference = filed["id"], filed["reference"]
    assert filed["state"] == "received" and filed["kind"] == "complaint"
    assert filed["classification"] == "confidential"  # by default
    assert filed["incident_place"] == COMPLAINT["incident_place"]
    assert filed["incident_at"] == "2026-11-30T16:30:00+04:00"
    assert filed["party"] == {
        "kind": "company",
        "name": "Al Wadi Contracting LLC",
        "cr_number": "1234567",
    }
    assert filed["person"] == {"id": complainant["id"], "name": complainant["name"]}
    assert filed["tajawob_reference"] == "TJW-2026-5512"
    assert filed["department"]["code"] == "customer_service"
    # NBG's complaint target is 10 working days: Dec 7-10, 13-17, 20.
    assert filed["due_date"] == "2026-12-20"
    assert filed["token"] is None
    assert upload(client, mine, case_id).status_code == 201
    assert notices(app, complainant["id"], "case_received") == [
        ("case_received", "email"),
        ("case_received", "sms"),
        ("case_received", "in_app"),
    ]

    # Who sees it: its complainant and the handling department; nobody else, not even staff
    # of another department of the same authority (it is confidential).
    assert read(client, mine, case_id).status_code == 200
    assert read(client, desk, case_id).status_code == 200
    assert read(client, stranger, case_id).status_code == 404
    assert read(client, abg_head, case_id).status_code == 404
    assert read(client, licensing_inspector, case_id).status_code == 404
    assert client.get(f"/api/v1/cases/{case_id}/evidence", headers=stranger).status_code == 404

    act(client, desk, case_id, "acknowledge")
    moved = act(client, desk_head, case_id, "reassign", department="health", note="Public health")
    assert moved["state"] == "received" and moved["department"]["code"] == "health"
    assert read(client, desk, case_id).status_code == 404  # no longer its department
    assert read(client, health_head, case_id).status_code == 200

    # Escalation on a fixed clock: 3 idle working days (Mon 7, Tue 8, Wed 9), to the position
    # the complaints service names: its department's (customer service's) head.
    set_escalation(app, "NBG-COMPLAINT", 3)
    hold_level_two(app, "NBG-COMPLAINT", desk_head_user["id"])
    clock.set(2026, 12, 8, 12)
    with app.app_context(), uow.transaction():
        assert escalate() == 0
    clock.set(2026, 12, 9, 10)
    with app.app_context(), uow.transaction():
        assert escalate() == 1
        assert escalate() == 0  # once per idle spell
    assert sorted(c for _, c in notices(app, desk_head_user["id"], "sla_escalated")) == [
        "email",
        "in_app",
        "sms",
    ]

    # Forwarded to Al Buraimi: recorded on both sides, the complainant told.
    forwarded = act(
        client, health_head, case_id, "forward", authority="ABG", note="The wadi is in Mahdah"
    )
    assert forwarded["state"] == "forwarded"
    new_reference = forwarded["forwarded_to"]
    assert new_reference.startswith("ABG-CASE-2026-")
    mine_list = client.get("/api/v1/cases", headers=mine).get_json()
    received = next(c for c in mine_list if c["reference"] == new_reference)
    new_id = received["id"]
    there = read(client, abg_head, new_id).get_json()
    assert there["state"] == "received" and there["forwarded_from"] == reference
    assert there["party"]["cr_number"] == "1234567"
    # The receiving authority's clock starts on receipt: ABG's 6 working days from Wed Dec 9.
    assert there["due_date"] == "2026-12-17"
    assert read(client, abg_head_other, new_id).status_code == 404  # not its department
    assert read(client, health_head, new_id).status_code == 404  # another authority's case
    assert ("case_forwarded", "email") in notices(app, complainant["id"], "case_forwarded")
    assert ("case.forward", authority_id(app, "NBG")) in audit_actions(app, reference)
    assert ("case.received_by_forwarding", authority_id(app, "ABG")) in audit_actions(
        app, new_reference
    )
    act(client, health_head, case_id, "answer", status=409, answer="Too late: it is forwarded")

    # Answered in the complainant's language; rated once.
    clock.set(2026, 12, 10, 11)
    answer = "The site was inspected and the contractor fined; the wadi is being cleaned."
    answered = act(client, abg_head, new_id, "answer", answer=answer)
    assert answered["state"] == "answered" and answered["answer"] == answer
    assert answered["answer_language"] == "en"
    assert answered["sla"]["state"] == "met"
    assert ("case_answered", "email") in notices(app, complainant["id"], "case_answered")
    rating = {"score": 2, "comment": "The waste is still there"}
    first = client.post(f"/api/v1/cases/{new_id}/rating", json=rating, headers=mine)
    assert first.status_code == 201
    again = client.post(f"/api/v1/cases/{new_id}/rating", json=rating, headers=mine)
    assert again.status_code == 409 and again.get_json()["code"] == "already_rated"

    # Reopened within 10 working days, once: a new clock of 6 working days from the reopening.
    clock.set(2026, 12, 14, 9)
    reopened = act(client, mine, new_id, "reopen", note="The waste is still there")
    assert reopened["state"] == "in_study" and reopened["reopen_count"] == 1
    assert reopened["due_date"] == "2026-12-22"  # Dec 15-17, 20-22
    act(client, abg_head, new_id, "answer", answer="Cleaned on 15 December; photos attached.")

    # A second dissatisfaction escalates instead of reopening.
    escalated = act(client, mine, new_id, "reopen", note="Still not cleaned")
    assert escalated["state"] == "escalated" and escalated["reopen_count"] == 1
    assert ("case_escalated", "in_app") in notices(app, abg_head_user["id"], "case_escalated")
    act(client, abg_head, new_id, "answer", answer="The head of section visited: it is clean.")
    closed = act(client, mine, new_id, "close")
    assert closed["state"] == "closed"
    assert [e["action"] for e in closed["timeline"]] == [
        "receive",
        "answer",
        "reopen",
        "answer",
        "escalate",
        "answer",
        "close",
    ]
    assert [a for a, _ in audit_actions(app, new_reference)] == [
        "case.received_by_forwarding",
        "case.answer",
        "case.reopen",
        "case.answer",
        "case.escalate",
        "case.answer",
        "case.close",
    ]


def test_a_complaint_reopens_only_within_ten_working_days_of_its_answer(app, client, clock):
    clock.set(2026, 12, 6, 9)
    _, mine = applicant_headers(client)
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    case_id = file(client, mine, "complaints", COMPLAINT)["id"]
    act(client, desk, case_id, "answer", answer="Done.")
    clock.set(2026, 12, 21, 9)  # 11 working days after Sunday 6: Dec 7-10, 13-17, 20-21
    refused = act(client, mine, case_id, "reopen", status=409, note="Not done")
    assert refused["code"] == "reopen_window_closed"
    clock.set(2026, 12, 20, 9)  # the 10th
    assert act(client, mine, case_id, "reopen", note="Not done")["state"] == "in_study"


def test_a_complaint_needs_its_place_time_party_and_description(app, client):
    _, mine = applicant_headers(client)
    response = client.post(
        "/api/v1/complaints",
        json={"authority": "NBG", "subject": "Noise", "description": "Loud at night"},
        headers=mine,
    )
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert {"incident_place", "incident_at", "party_kind", "party_name"} <= fields
    person_with_cr = {**COMPLAINT, "party_kind": "person"}
    response = client.post("/api/v1/complaints", json=person_with_cr, headers=mine)
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["party_cr_number"]
