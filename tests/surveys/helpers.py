"""Surveys as staff write them in tests."""

from __future__ import annotations

from typing import Any

PROBLEM = "application/problem+json"

QUESTIONNAIRE: dict[str, Any] = {
    "kind": "questionnaire",
    "title_ar": "استبيان رضا المتعاملين",
    "title_en": "Customer satisfaction questionnaire",
    "description_ar": "ساعدونا على تحسين خدماتنا",
    "description_en": "Help us improve our services",
    "questions": [
        {
            "kind": "single",
            "text_ar": "كيف قدمت طلبك؟",
            "text_en": "How did you apply?",
            "options": [
                {"text_ar": "البوابة", "text_en": "Portal"},
                {"text_ar": "الهاتف", "text_en": "Phone"},
                {"text_ar": "الحضور", "text_en": "Counter"},
            ],
        },
        {
            "kind": "multiple",
            "text_ar": "ما الذي أعجبك؟",
            "text_en": "What did you like?",
            "options": [
                {"text_ar": "السرعة", "text_en": "Speed"},
                {"text_ar": "الوضوح", "text_en": "Clarity"},
                {"text_ar": "اللباقة", "text_en": "Courtesy"},
            ],
        },
        {"kind": "scale", "text_ar": "قيّم الخدمة", "text_en": "Rate the service"},
        {
            "kind": "text",
            "text_ar": "ملاحظات أخرى",
            "text_en": "Anything else?",
            "required": False,
        },
    ],
}


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


def create(client, headers, **overrides) -> dict[str, Any]:
    return ok(
        client.post("/api/v1/surveys", json={**QUESTIONNAIRE, **overrides}, headers=headers), 201
    )


def act(client, headers, survey_id, action):
    return client.post(f"/api/v1/surveys/{survey_id}/actions/{action}", headers=headers)


def published(client, headers, **overrides) -> dict[str, Any]:
    survey = create(client, headers, **overrides)
    return ok(act(client, headers, survey["id"], "publish"))


def answer(client, headers, survey_id, answers):
    return client.post(
        f"/api/v1/surveys/{survey_id}/responses", json={"answers": answers}, headers=headers
    )


def ids(survey) -> tuple[list[int], list[list[int]]]:
    """The question ids in order, and each question's option ids."""
    questions = survey["questions"]
    return [q["id"] for q in questions], [[o["id"] for o in q["options"]] for q in questions]
