"""A survey's life: drafted and changed by its authority's heads, published with a question,
closed; who sees it at each step, and the audit rows it leaves."""

from __future__ import annotations

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from tests.factories import applicant_headers, staff_headers
from tests.surveys.helpers import act, create, ok, published


def _problem(response, status, code):
    assert response.status_code == status, response.get_json()
    assert response.get_json()["code"] == code
    return response.get_json()


def test_a_draft_is_changed_then_published_and_closed_by_the_table(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, inspector = staff_headers(app, client, "inspector", "NBG")
    empty = create(client, head, questions=[])
    assert empty["state"] == "draft" and empty["accepting_answers"] is False
    _problem(act(client, head, empty["id"], "publish"), 409, "survey_without_questions")

    changed = ok(
        client.patch(
            f"/api/v1/surveys/{empty['id']}",
            json={
                "title_en": "Poll on opening hours",
                "kind": "poll",
                "questions": [
                    {
                        "kind": "single",
                        "text_ar": "هل تفضل الفتح مساءً؟",
                        "text_en": "Open in the evening?",
                        "options": [
                            {"text_ar": "نعم", "text_en": "Yes"},
                            {"text_ar": "لا", "text_en": "No"},
                        ],
                    }
                ],
            },
            headers=head,
        )
    )
    assert changed["title_en"] == "Poll on opening hours" and changed["kind"] == "poll"
    assert changed["title_ar"] == empty["title_ar"]  # not given: kept
    assert [o["text_en"] for o in changed["questions"][0]["options"]] == ["Yes", "No"]

    assert act(client, inspector, empty["id"], "publish").status_code == 403
    opened = ok(act(client, head, empty["id"], "publish"))
    assert opened["state"] == "open" and opened["published_at"].endswith("+04:00")
    refused = client.patch(f"/api/v1/surveys/{empty['id']}", json={"title_en": "x"}, headers=head)
    _problem(refused, 409, "survey_not_draft")
    closed = ok(act(client, head, empty["id"], "close"))
    assert closed["state"] == "closed"
    _problem(act(client, head, empty["id"], "close"), 409, "transition_not_allowed")
    assert act(client, head, empty["id"], "reopen").status_code == 404

    with app.app_context():
        trail = db.session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.subject_type == "survey", AuditEntry.subject_id == str(empty["id"]))
            .order_by(AuditEntry.id)
        ).all()
    assert trail == ["survey.create", "survey.update", "survey.publish", "survey.close"]


def test_a_choice_question_needs_two_options_and_only_choices_have_options(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    bad = client.post(
        "/api/v1/surveys",
        json={
            "kind": "poll",
            "title_ar": "استطلاع",
            "title_en": "Poll",
            "questions": [
                {
                    "kind": "single",
                    "text_ar": "س",
                    "text_en": "Q",
                    "options": [{"text_ar": "أ", "text_en": "A"}],
                },
                {
                    "kind": "scale",
                    "text_ar": "س",
                    "text_en": "Q",
                    "options": [{"text_ar": "أ", "text_en": "A"}],
                },
            ],
        },
        headers={**head, "Accept-Language": "en"},
    )
    problem = _problem(bad, 422, "validation_failed")
    assert {e["field"]: e["detail"] for e in problem["errors"]} == {
        "questions.0.options": "A choice question needs at least two options.",
        "questions.1.options": "Only a choice question has options.",
    }
    dates = client.post(
        "/api/v1/surveys",
        json={
            "kind": "poll",
            "title_ar": "استطلاع",
            "title_en": "Poll",
            "opens_at": "2026-12-10T09:00:00",
            "closes_at": "2026-12-10T08:00:00",
        },
        headers=head,
    )
    assert [e["field"] for e in _problem(dates, 422, "validation_failed")["errors"]] == [
        "closes_at"
    ]
    assert dates.get_json()["errors"][0]["detail"] == "يجب أن يكون وقت الإغلاق بعد وقت الفتح."


def test_who_sees_a_survey_draft_public_or_account_only(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, elsewhere = staff_headers(app, client, "department_head", "ABG")
    _, applicant = applicant_headers(client)
    draft = create(client, head)
    public = published(client, head)
    members = published(client, head, audience="accounts")

    def seen(headers=None):
        listed = ok(client.get("/api/v1/surveys?page_size=100", headers=headers or {}))
        return {s["id"] for s in listed} & {draft["id"], public["id"], members["id"]}

    assert seen() == {public["id"]}
    assert seen(applicant) == {public["id"], members["id"]}
    assert seen(head) == {draft["id"], public["id"], members["id"]}
    assert seen(elsewhere) == set()  # staff list their own authority's surveys

    assert client.get(f"/api/v1/surveys/{draft['id']}", headers=applicant).status_code == 404
    assert client.get(f"/api/v1/surveys/{draft['id']}", headers=elsewhere).status_code == 404
    assert client.get(f"/api/v1/surveys/{members['id']}").status_code == 404
    assert (
        ok(client.get(f"/api/v1/surveys/{members['id']}", headers=applicant))["audience"]
        == "accounts"
    )
    assert (
        ok(client.get(f"/api/v1/surveys/{public['id']}"))["questions"][0]["options"][0]["text_ar"]
        == "البوابة"
    )
    assert act(client, elsewhere, public["id"], "close").status_code == 404
    assert act(client, applicant, public["id"], "close").status_code == 403
