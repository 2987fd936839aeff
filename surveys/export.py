"""A survey's results as CSV for the staff: one row per option of a choice question, per value
of a scale question, and per answer of a free-text question (all of them, with their
moderation state: the staff moderate them)."""

from __future__ import annotations

from app.accounts.models import User
from app.csv_files import csv_text
from surveys.models import QuestionKind
from surveys.queries import survey_for_staff
from surveys.results import survey_results

HEADER = (
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
)


def results_csv(actor: User, survey_id: int) -> str:
    """The CSV of the survey's results (404 unless the caller is staff of its authority)."""
    survey = survey_for_staff(actor, survey_id)
    results = survey_results(survey, with_unpublished_text=True)
    rows = []
    for q in results["questions"]:
        asked = (q["position"], q["text_ar"], q["text_en"], q["kind"])
        if q["kind"] in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            for o in q["options"]:
                rows.append(
                    (*asked, o["text_ar"], o["text_en"], None, o["count"], None, None, None)
                )
        elif q["kind"] == QuestionKind.SCALE:
            for value, count in q["distribution"].items():
                rows.append((*asked, None, None, int(value), count, q["mean"], None, None))
        else:
            for t in q["text_answers"]:
                rows.append((*asked, None, None, None, 1, None, t.text, t.moderation_state))
    return csv_text(HEADER, rows)
