"""A survey is published, answered once per account, and its results match what the answers
add up to, counted here by hand; free text is public only once a moderator published it."""

from __future__ import annotations

import codecs
import csv
import io

import sqlalchemy as sa

from app.audit.models import AuditEntry
from app.extensions import db
from surveys.models import SurveyResponse
from tests.factories import applicant_headers, staff_headers
from tests.surveys.helpers import act, answer, ids, ok, published


def _answer_three(client, survey):
    (single, multiple, scale, text), (s_opts, m_opts, _, _) = ids(survey)
    people = [applicant_headers(client)[1] for _ in range(3)]
    answers = [
        {
            str(single): {"option_ids": [s_opts[0]]},
            str(multiple): {"option_ids": [m_opts[0], m_opts[2]]},
            str(scale): {"scale": 5},
            str(text): {"text": "Quick and polite"},
        },
        {
            str(single): {"option_ids": [s_opts[1]]},
            str(multiple): {"option_ids": [m_opts[0]]},
            str(scale): {"scale": 3},
        },
        {
            str(single): {"option_ids": [s_opts[0]]},
            str(multiple): {"option_ids": [m_opts[1], m_opts[2]]},
            str(scale): {"scale": 4},
            str(text): {"text": '=HYPERLINK("http://evil.example")'},
        },
    ]
    for headers, given in zip(people, answers, strict=True):
        ok(answer(client, headers, survey["id"], given), 201)
    return people, answers


def test_a_survey_answered_once_per_account_adds_up_to_its_answers(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    survey = published(client, head)
    assert survey["state"] == "open" and survey["accepting_answers"] is True
    people, answers = _answer_three(client, survey)

    again = answer(client, people[0], survey["id"], answers[0])
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert again.get_json()["code"] == "already_answered"
    with app.app_context():
        count = sa.select(sa.func.count()).where(SurveyResponse.survey_id == survey["id"])
        assert db.session.scalar(count) == 3

    results = ok(client.get(f"/api/v1/surveys/{survey['id']}/results", headers=head))
    single, multiple, scale, text = results["questions"]
    assert results["respondents"] == 3
    # by hand: Portal twice, Phone once; Speed twice, Clarity once, Courtesy twice
    assert [o["count"] for o in single["options"]] == [2, 1, 0]
    assert single["answered"] == 3
    assert [o["count"] for o in multiple["options"]] == [2, 1, 2]
    assert multiple["answered"] == 3
    assert scale["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1}
    assert scale["mean"] == 4.0  # (5 + 3 + 4) / 3
    assert text["answered"] == 2
    assert sorted(t["moderation_state"] for t in text["text_answers"]) == ["pending", "pending"]


def test_results_become_public_when_the_survey_closes_with_published_text_only(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    survey = published(client, head)
    _answer_three(client, survey)
    path = f"/api/v1/surveys/{survey['id']}/results"

    early = client.get(path)
    assert early.status_code == 403 and early.get_json()["code"] == "results_not_public"
    ok(act(client, head, survey["id"], "close"))
    public = ok(client.get(path))
    assert public["respondents"] == 3
    assert public["questions"][3]["text_answers"] == []  # nothing published yet
    assert public["questions"][3]["answered"] == 2

    pending = ok(client.get(f"/api/v1/surveys/{survey['id']}/text-answers", headers=head))
    kind, evil = sorted(pending, key=lambda t: t["text"].startswith("="))
    moderation = f"/api/v1/surveys/{survey['id']}/text-answers/{{}}/moderation"
    ok(client.post(moderation.format(kind["id"]), json={"decision": "publish"}, headers=head))
    no_reason = client.post(moderation.format(evil["id"]), json={"decision": "hide"}, headers=head)
    assert no_reason.status_code == 422
    ok(
        client.post(
            moderation.format(evil["id"]),
            json={"decision": "hide", "reason": "A link, against the policy"},
            headers=head,
        )
    )

    shown = ok(client.get(path))["questions"][3]["text_answers"]
    assert [t["text"] for t in shown] == ["Quick and polite"]
    staff_view = ok(client.get(path, headers=head))["questions"][3]["text_answers"]
    assert {t["moderation_state"] for t in staff_view} == {"published", "hidden"}
    with app.app_context():
        hidden = db.session.scalars(
            sa.select(AuditEntry).where(
                AuditEntry.action == "moderation.hide",
                AuditEntry.subject_type == "survey_answer",
                AuditEntry.subject_id == str(evil["id"]),
            )
        ).all()
    assert [h.after["reason"] for h in hidden] == ["A link, against the policy"]


def test_the_results_csv_opens_in_excel_and_runs_no_formula(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, applicant = applicant_headers(client)
    survey = published(client, head)
    _answer_three(client, survey)

    response = client.get(f"/api/v1/surveys/{survey['id']}/results.csv", headers=head)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(codecs.BOM_UTF8)
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert list(rows[0]) == [
        "question",
        "question_ar",
        "question_en",
        "kind",
        "option_ar",
        "option_en",
        "scale_value",
        "count",
        "mean",
        "text",
        "moderation_state",
    ]
    single = [(r["option_en"], r["count"]) for r in rows if r["kind"] == "single"]
    assert single == [("Portal", "2"), ("Phone", "1"), ("Counter", "0")]
    assert rows[0]["question_ar"] == "كيف قدمت طلبك؟"
    scale = [(r["scale_value"], r["count"]) for r in rows if r["kind"] == "scale"]
    assert scale == [("1", "0"), ("2", "0"), ("3", "1"), ("4", "1"), ("5", "1")]
    texts = sorted(r["text"] for r in rows if r["kind"] == "text")
    assert texts == ['\'=HYPERLINK("http://evil.example")', "Quick and polite"]

    assert (
        client.get(f"/api/v1/surveys/{survey['id']}/results.csv", headers=applicant).status_code
        == 403
    )
    _, other = staff_headers(app, client, "department_head", "ABG")
    assert (
        client.get(f"/api/v1/surveys/{survey['id']}/results.csv", headers=other).status_code == 404
    )
