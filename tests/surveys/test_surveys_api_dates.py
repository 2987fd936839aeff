"""A survey's opening and closing moments must lie in 2000-2100: anything else is 422 (the
stateful fuzzer once sent year 469, which came back as a date-time the schema refuses)."""

from __future__ import annotations

from tests.factories import staff_headers


def test_a_survey_opening_in_year_469_is_refused(app, client):
    _admin, admin = staff_headers(app, client, "admin")
    body = {
        "kind": "questionnaire",
        "title_ar": "استبيان",
        "title_en": "Questionnaire",
        "opens_at": "0469-03-19T22:20:42.1-16:02",
    }
    answer = client.post("/api/v1/surveys", json=body, headers={**admin, "Accept-Language": "en"})
    assert answer.status_code == 422
    assert [e["field"] for e in answer.get_json()["errors"]] == ["opens_at"]
