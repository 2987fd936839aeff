"""A survey (a satisfaction questionnaire or an opinion poll), its questions and options, and
the answers people give: one response per account, one row per chosen option or scale value,
and free-text answers apart, since they are moderated before anything of them is public."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.authorities.models import Authority
from app.extensions import db
from app.models import Timestamped
from app.moderation import Moderated
from app.timeutil import UTCDateTime, utcnow


class SurveyKind(enum.StrEnum):
    QUESTIONNAIRE = "questionnaire"  # satisfaction questionnaire, several questions
    POLL = "poll"  # opinion poll, usually one question


class Audience(enum.StrEnum):
    PUBLIC = "public"  # anyone reads it; answering still needs an account (one per account)
    ACCOUNTS = "accounts"  # only signed-in users see it


class QuestionKind(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"  # 1 to 5
    TEXT = "text"


class Survey(Timestamped, db.Model):
    """A survey of one authority. `state` (surveys.lifecycle) is written by the workflow only;
    open and close times are UTC here, Asia/Muscat at the edge."""

    __tablename__ = "surveys"
    __table_args__ = (sa.Index("ix_surveys_listing", "state", "audience", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(15))
    audience: Mapped[str] = mapped_column(sa.String(10))
    state: Mapped[str] = mapped_column(sa.String(10), default="draft")
    title_ar: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))
    description_ar: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    results_public: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    authority: Mapped[Authority] = relationship()
    questions: Mapped[list[SurveyQuestion]] = relationship(
        order_by="SurveyQuestion.position", cascade="all, delete-orphan", back_populates="survey"
    )


class SurveyQuestion(db.Model):
    __tablename__ = "survey_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        sa.ForeignKey("surveys.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(10))
    text_ar: Mapped[str] = mapped_column(sa.String(500))
    text_en: Mapped[str] = mapped_column(sa.String(500))
    required: Mapped[bool] = mapped_column(default=True)

    survey: Mapped[Survey] = relationship(back_populates="questions")
    options: Mapped[list[SurveyOption]] = relationship(
        order_by="SurveyOption.position", cascade="all, delete-orphan"
    )


class SurveyOption(db.Model):
    __tablename__ = "survey_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("survey_questions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    text_ar: Mapped[str] = mapped_column(sa.String(300))
    text_en: Mapped[str] = mapped_column(sa.String(300))


class SurveyResponse(db.Model):
    """One account's answer to one survey: the unique constraint is what makes it one, under a
    race too."""

    __tablename__ = "survey_responses"
    __table_args__ = (sa.UniqueConstraint("survey_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SurveyAnswer(db.Model):
    """A chosen option (one row per option: a multiple choice has several) or a scale value."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        sa.CheckConstraint("(option_id IS NULL) <> (scale IS NULL)", name="option_or_scale"),
        sa.CheckConstraint("scale IS NULL OR scale BETWEEN 1 AND 5", name="scale_one_to_five"),
        sa.Index("ix_survey_answers_results", "question_id", "option_id", "scale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_responses.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_questions.id"))
    option_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_options.id"))
    scale: Mapped[int | None]


class SurveyTextAnswer(Moderated, db.Model):
    """A free-text answer: pending until a moderator publishes it; only published ones appear in
    public results, hidden ones stay with their reason and audit rows."""

    __tablename__ = "survey_text_answers"
    __table_args__ = (sa.Index("ix_survey_text_answers_question", "question_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_responses.id"), index=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_questions.id"))
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    text: Mapped[str] = mapped_column(sa.Text)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
