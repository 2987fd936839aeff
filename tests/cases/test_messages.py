"""The thread of a case: the person's message tells the assignee, or the department head when
nobody is assigned; a staff message tells the person."""

from __future__ import annotations

from tests.cases.helpers import COMPLAINT, act, file, notices
from tests.factories import applicant_headers, staff_headers


def write(client, headers, case_id, body, status=201):
    response = client.post(
        f"/api/v1/cases/{case_id}/messages", json={"body": body}, headers=headers
    )
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_the_persons_message_tells_the_head_then_the_assignee(app, client):
    person, mine = applicant_headers(client)
    head_user, _ = staff_headers(
        app, client, "department_head", "NBG", department="customer_service"
    )
    other_head, _ = staff_headers(app, client, "department_head", "NBG", department="health")
    desk_user, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    case_id = file(client, mine, "complaints", COMPLAINT)["id"]

    write(client, mine, case_id, "I have more photos.")
    assert notices(app, head_user["id"], "case_message") == [
        ("case_message", "email"),
        ("case_message", "sms"),
        ("case_message", "in_app"),
    ]
    assert notices(app, other_head["id"], "case_message") == []

    act(client, desk, case_id, "acknowledge")  # an inspector acting takes the case
    write(client, mine, case_id, "Any news?")
    assert len(notices(app, desk_user["id"], "case_message")) == 3
    assert len(notices(app, head_user["id"], "case_message")) == 3  # not told again

    assert write(client, desk, case_id, "We visit on Tuesday.")["author_role"] == "inspector"
    assert len(notices(app, person["id"], "case_message")) == 3
    thread = client.get(f"/api/v1/cases/{case_id}/messages", headers=mine).get_json()
    assert [m["body"] for m in thread] == [
        "I have more photos.",
        "Any news?",
        "We visit on Tuesday.",
    ]

    _, stranger = applicant_headers(client)
    write(client, stranger, case_id, "Hello", status=404)


def test_an_unanswered_message_escalates_after_its_reply_target(app, client, clock):
    from app import uow
    from app.escalation.sweep import escalate
    from tests.cases.helpers import set_escalation
    from tests.escalation.rows import hold_level_two

    clock.set(2026, 12, 6, 9)  # Sunday
    _, mine = applicant_headers(client)
    head_user, _ = staff_headers(
        app, client, "department_head", "NBG", department="customer_service"
    )
    _, desk = staff_headers(app, client, "inspector", "NBG", department="customer_service")
    case_id = file(client, mine, "complaints", COMPLAINT)["id"]
    act(client, desk, case_id, "answer", answer="Fined the contractor.")  # waits on nobody now
    set_escalation(app, "NBG-COMPLAINT", 2)
    hold_level_two(app, "NBG-COMPLAINT", head_user["id"])

    clock.set(2026, 12, 7, 10)
    write(client, mine, case_id, "Who pays for the cleaning?")
    clock.set(2026, 12, 8, 10)  # one working day since the message
    with app.app_context(), uow.transaction():
        assert escalate() == 0
    clock.set(2026, 12, 9, 10)  # two: its reply target is missed
    with app.app_context(), uow.transaction():
        assert escalate() == 1
        assert escalate() == 0  # once
    assert {c for _, c in notices(app, head_user["id"], "sla_escalated")} == {
        "email",
        "sms",
        "in_app",
    }

    clock.set(2026, 12, 9, 12)
    write(client, desk, case_id, "The contractor does.")  # answered: no reply due
    write(client, mine, case_id, "Thank you.")  # due again from now
    clock.set(2026, 12, 13, 10)  # Thu 10, Sun 13: two working days later
    with app.app_context(), uow.transaction():
        assert escalate() == 1
    write(client, desk, case_id, "You are welcome.")
    clock.set(2026, 12, 20, 10)
    with app.app_context(), uow.transaction():
        assert escalate() == 0  # answered, and the case itself waits on nobody
