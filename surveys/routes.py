"""Surveys API: staff write, publish and close surveys and moderate their free-text answers;
people read and answer them; results for the staff, and for the public where they are public."""

from __future__ import annotations

from flask.views import MethodView

from app.access import ACTORS, PUBLIC, STAFF, allow, current_user, require_user
from app.accounts.models import Role
from app.files import attachment
from app.openapi import problems
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, Blueprint, SQLPage
from surveys import answering, drafting, export, results, text_moderation
from surveys.queries import survey_for, surveys_query
from surveys.schemas import (
    SURVEY_FIELDS,
    SurveyInput,
    SurveyListQuery,
    SurveyModerationInput,
    SurveyResponseInput,
    SurveyResponseSchema,
    SurveyResultsSchema,
    SurveySchema,
    SurveyTextAnswerQuery,
    SurveyTextAnswerSchema,
    SurveyUpdate,
)

blp = Blueprint("surveys", __name__, url_prefix="/api/v1", description="Surveys and polls")
EDITORS = (Role.DEPARTMENT_HEAD, Role.ADMIN)


@blp.route("/surveys")
class Surveys(MethodView):
    @allow(PUBLIC)
    @blp.arguments(SurveyListQuery, location="query")
    @blp.response(200, SurveySchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, filters):
        """Surveys and polls, newest first: published public ones (account-only ones too when
        signed in); staff: every survey of their authority, drafts included"""
        return surveys_query(current_user(), filters)

    @allow(*EDITORS)
    @blp.arguments(SurveyInput)
    @blp.response(201, SurveySchema)
    def post(self, data):
        """Create a survey (questionnaire or poll) of your authority as a draft, with its
        questions: single or multiple choice (two options or more), scale 1–5, free text"""
        return drafting.create_survey(require_user(), data)


@blp.route("/surveys/<int:survey_id>")
class SurveyItem(MethodView):
    @allow(PUBLIC)
    @blp.response(200, SurveySchema)
    def get(self, survey_id):
        """One survey with its questions (a draft for its authority's staff only; an
        account-only survey for signed-in callers only)"""
        return survey_for(current_user(), survey_id)

    @allow(*EDITORS)
    @problems({409: (("survey_not_draft", "the survey is published: nothing of it changes"),)})
    @blp.arguments(SurveyUpdate(partial=SURVEY_FIELDS))
    @blp.response(200, SurveySchema)
    def patch(self, data, survey_id):
        """Change a draft: the fields given; `questions`, when given, replaces them all"""
        return drafting.update_draft(require_user(), survey_id, data)


@blp.route("/surveys/<int:survey_id>/actions/<string:action>")
class SurveyAction(MethodView):
    @allow(*EDITORS)
    @problems(
        {
            409: (
                ("transition_not_allowed", "not from the survey's current state"),
                ("survey_without_questions", "publish: the survey has no question"),
            )
        }
    )
    @blp.response(200, SurveySchema)
    def post(self, survey_id, action):
        """`publish` a draft (it must have a question) or `close` an open survey"""
        return drafting.take_action(require_user(), survey_id, action)


@blp.route("/surveys/<int:survey_id>/responses")
class SurveyResponses(MethodView):
    @allow(*ACTORS)
    @problems(
        {
            409: (
                ("survey_not_open", "not open, or outside its open and close times"),
                ("already_answered", "this account has answered the survey already"),
            )
        }
    )
    @blp.arguments(SurveyResponseInput)
    @blp.response(201, SurveyResponseSchema)
    def post(self, data, survey_id):
        """Answer the survey, once per account: by question id, `option_ids`, `scale` or
        `text` as the question's kind asks (422 names `answers.<question id>`)"""
        return answering.answer_survey(require_user(), survey_id, data["answers"])


@blp.route("/surveys/<int:survey_id>/results")
class SurveyResults(MethodView):
    @allow(PUBLIC)
    @problems({403: (("results_not_public", "the results are not public (yet)"),)})
    @blp.response(200, SurveyResultsSchema)
    def get(self, survey_id):
        """Results per question: counts per option, the scale's distribution and mean,
        respondents, published free-text answers

        Staff of the survey's authority always (with every free-text answer and its moderation
        state); anyone who may see the survey once a public survey has ended (closed, or past
        its close time), or at any time where `results_public` is set."""
        return results.results_for(current_user(), survey_id)


@blp.route("/surveys/<int:survey_id>/results.csv")
class SurveyResultsCsv(MethodView):
    @allow(*STAFF, Role.AUDITOR)
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, survey_id):
        """The results as CSV (UTF-8 with a BOM): a row per option, per scale value and per
        free-text answer; cells that would start a formula begin with an apostrophe"""
        text = export.results_csv(require_user(), survey_id)
        return attachment(
            text.encode("utf-8"), "text/csv; charset=utf-8", f"survey-{survey_id}-results.csv"
        )


@blp.route("/surveys/<int:survey_id>/text-answers")
class TextAnswers(MethodView):
    @allow(*EDITORS)
    @blp.arguments(SurveyTextAnswerQuery, location="query")
    @blp.response(200, SurveyTextAnswerSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, filters, survey_id):
        """The survey's free-text answers to moderate, oldest first (`state`: pending,
        published or hidden)"""
        return text_moderation.text_answers_query(require_user(), survey_id, filters.get("state"))


@blp.route("/surveys/<int:survey_id>/text-answers/<int:answer_id>/moderation")
class TextAnswerModeration(MethodView):
    @allow(*EDITORS)
    @problems({409: (("moderation_unchanged", "the answer is already in that state"),)})
    @blp.arguments(SurveyModerationInput)
    @blp.response(200, SurveyTextAnswerSchema)
    def post(self, data, survey_id, answer_id):
        """Publish a free-text answer, or hide it with a `reason` (kept, with its audit rows)"""
        return text_moderation.moderate_text_answer(
            require_user(), survey_id, answer_id, data["decision"], data.get("reason")
        )
