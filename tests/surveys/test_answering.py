"""Answering: each answer checked against its question's kind, nothing kept of a refused one;
only while the survey takes answers; one response per account even when the check is raced."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.timeutil import utcnow
from surveys import answering
from surveys.models import SurveyAnswer, SurveyResponse
from tests.factories import applicant_headers, staff_headers
from tests.surveys.helpers import QUESTIONNAIRE, answer, create, ids, ok, published

EN = {"Accept-Language": "en"}


def _responses(app, survey_id) -> int:
    with app.app_context():
        return db.session.scalar(
            sa.select(sa.func.count()).where(SurveyResponse.survey_id == survey_id)
        )


def test_each_wrong_answer_is_named_by_its_question_and_nothing_is_kept(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, applicant = applicant_headers(client)
    survey = published(client, head)
    (single, multiple, scale, text), (s_opts, m_opts, _, _) = ids(survey)

    refused = answer(
        client,
        {**applicant, **EN},
        survey["id"],
        {
            str(single): {"option_ids": [s_opts[0], s_opts[1]]},  # two for a single choice
            str(multiple): {"option_ids": [m_opts[0], m_opts[0]]},  # the same one twice
            str(scale): {"scale": 6},
            str(text): {"scale": 3},  # a text question answered with a scale
            "999999": {"text": "?"},
        },
    )
    assert refused.status_code == 422
    assert {e["field"]: e["detail"] for e in refused.get_json()["errors"]} == {
        f"answers.{single}": "Choose one of this question's options (`option_ids`, one id).",
        f"answers.{multiple}": (
            "Choose one or more of this question's options (`option_ids`), each once."
        ),
        f"answers.{scale}": "Give `scale`, a whole number from 1 to 5.",
        f"answers.{text}": "Write the answer in `text`.",
        "answers.999999": "This survey has no such question.",
    }
    missing = answer(client, applicant, survey["id"], {str(text): {"text": "Only this"}})
    assert {e["field"] for e in missing.get_json()["errors"]} == {
        f"answers.{single}",
        f"answers.{multiple}",
        f"answers.{scale}",
    }
    assert missing.get_json()["errors"][0]["detail"] == "أجب عن هذا السؤال؛ فهو إلزامي."
    # an option of another question is no option of this one
    foreign = answer(
        client,
        applicant,
        survey["id"],
        {
            str(single): {"option_ids": [m_opts[0]]},
            str(multiple): {"option_ids": [m_opts[0]]},
            str(scale): {"scale": 2},
        },
    )
    assert [e["field"] for e in foreign.get_json()["errors"]] == [f"answers.{single}"]
    assert _responses(app, survey["id"]) == 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 0

    # the optional text question left out: accepted
    ok(
        answer(
            client,
            applicant,
            survey["id"],
            {
                str(single): {"option_ids": [s_opts[2]]},
                str(multiple): {"option_ids": m_opts},
                str(scale): {"scale": 1},
            },
        ),
        201,
    )
    assert _responses(app, survey["id"]) == 1


def _only_single(survey):
    (single, *_), (s_opts, *_) = ids(survey)
    return {str(single): {"option_ids": [s_opts[0]]}}


def test_answers_are_taken_only_while_open_and_within_its_times(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, applicant = applicant_headers(client)
    one_question = {"questions": QUESTIONNAIRE["questions"][:1]}

    later = published(client, head, opens_at="2099-01-01T08:00:00", **one_question)
    assert later["opens_at"] == "2099-01-01T08:00:00+04:00" and later["accepting_answers"] is False
    ended = published(client, head, closes_at="2020-01-01T00:00:00Z", **one_question)
    draft = create(client, head, **one_question)

    for survey in (later, ended):
        refused = answer(client, applicant, survey["id"], _only_single(survey))
        assert refused.status_code == 409 and refused.get_json()["code"] == "survey_not_open"
    # a draft is not seen by the public at all
    assert answer(client, applicant, draft["id"], _only_single(draft)).status_code == 404
    # a public survey past its close time has ended: its results are public
    assert ok(client.get(f"/api/v1/surveys/{ended['id']}/results"))["respondents"] == 0
    assert (
        client.post(f"/api/v1/surveys/{later['id']}/responses", json={"answers": {}}).status_code
        == 401
    )


def test_a_second_answer_that_passed_the_check_is_still_refused_by_the_constraint(
    app, client, monkeypatch
):
    """Two answers of one account racing: both pass the look-up; the unique constraint refuses
    the second, inside a savepoint, and the answer is the same 409."""
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, applicant = applicant_headers(client)
    survey = published(client, head)
    (single, multiple, scale, _), (s_opts, m_opts, _, _) = ids(survey)
    given = {
        str(single): {"option_ids": [s_opts[0]]},
        str(multiple): {"option_ids": [m_opts[1]]},
        str(scale): {"scale": 4},
    }
    ok(answer(client, applicant, survey["id"], given), 201)
    monkeypatch.setattr(answering, "_answered", lambda survey_id, person_id: False)
    raced = answer(client, applicant, survey["id"], given)
    assert raced.status_code == 409 and raced.get_json()["code"] == "already_answered"
    assert _responses(app, survey["id"]) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 3


@pytest.mark.postgres_only  # SQLite has one writer at a time
@pytest.mark.committed  # a race: each request its own connection and transaction
def test_answers_sent_at_once_by_one_account_keep_one_response(app, client, monkeypatch):
    """Six copies of one account's answer at the same moment, every one past the look-up (as
    when they all read before any committed): one is kept, the others are 409."""
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, applicant = applicant_headers(client)
    survey = published(client, head)
    (single, multiple, scale, _), (s_opts, m_opts, _, _) = ids(survey)
    given = {
        str(single): {"option_ids": [s_opts[1]]},
        str(multiple): {"option_ids": [m_opts[0]]},
        str(scale): {"scale": 2},
    }
    monkeypatch.setattr(answering, "_answered", lambda survey_id, person_id: False)
    copies = 6
    start = threading.Barrier(copies)

    def send(_):
        own = app.test_client()
        start.wait()
        return answer(own, applicant, survey["id"], given)

    with ThreadPoolExecutor(copies) as pool:
        answers = list(pool.map(send, range(copies)))
    assert sorted(r.status_code for r in answers) == [201] + [409] * (copies - 1)
    assert {r.get_json()["code"] for r in answers if r.status_code == 409} == {"already_answered"}
    assert _responses(app, survey["id"]) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SurveyAnswer)) == 3
        db.session.remove()


def test_an_authority_in_maintenance_takes_no_answers_to_its_surveys(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    _, admin = staff_headers(app, client, "admin", "NBG")
    _, applicant = applicant_headers(client)
    survey = published(client, head)
    start = utcnow() - timedelta(minutes=1)
    window = {
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "message_ar": "صيانة",
        "message_en": "Maintenance",
    }
    assert client.post("/api/v1/announcements", json=window, headers=admin).status_code == 201
    refused = answer(client, applicant, survey["id"], _only_single(survey))
    assert refused.status_code == 503 and refused.get_json()["code"] == "maintenance"
    assert _responses(app, survey["id"]) == 0
