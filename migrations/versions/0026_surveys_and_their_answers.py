"""surveys, their questions and options, one response per account and its answers, and the
moderated free-text answers

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=15), nullable=False),
        sa.Column("audience", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("title_ar", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("description_ar", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("results_public", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authorities.id"], name=op.f("fk_surveys_authority_id_authorities")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_surveys_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_surveys")),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_surveys_authority_id"), ["authority_id"], unique=False)
        batch_op.create_index("ix_surveys_listing", ["state", "audience", "id"], unique=False)

    op.create_table(
        "survey_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("text_ar", sa.String(length=500), nullable=False),
        sa.Column("text_en", sa.String(length=500), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["surveys.id"],
            name=op.f("fk_survey_questions_survey_id_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questions")),
    )
    with op.batch_alter_table("survey_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_questions_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["users.id"], name=op.f("fk_survey_responses_person_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_responses_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_responses")),
        sa.UniqueConstraint("survey_id", "person_id", name=op.f("uq_survey_responses_survey_id")),
    )
    with op.batch_alter_table("survey_responses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_responses_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "survey_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text_ar", sa.String(length=300), nullable=False),
        sa.Column("text_en", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_questions.id"],
            name=op.f("fk_survey_options_question_id_survey_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_options")),
    )
    with op.batch_alter_table("survey_options", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_options_question_id"), ["question_id"], unique=False
        )

    op.create_table(
        "survey_text_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "moderation_state", sa.String(length=10), server_default="pending", nullable=False
        ),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderation_reason", sa.Text(), nullable=True),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["authority_id"],
            ["authorities.id"],
            name=op.f("fk_survey_text_answers_authority_id_authorities"),
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"],
            ["users.id"],
            name=op.f("fk_survey_text_answers_moderated_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_questions.id"],
            name=op.f("fk_survey_text_answers_question_id_survey_questions"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_text_answers_response_id_survey_responses"),
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name=op.f("fk_survey_text_answers_survey_id_surveys")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_text_answers")),
    )
    with op.batch_alter_table("survey_text_answers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_survey_text_answers_question", ["question_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_text_answers_response_id"), ["response_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_survey_text_answers_survey_id"), ["survey_id"], unique=False
        )

    op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("option_id", sa.Integer(), nullable=True),
        sa.Column("scale", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(option_id IS NULL) <> (scale IS NULL)", name=op.f("ck_survey_answers_option_or_scale")
        ),
        sa.CheckConstraint(
            "scale IS NULL OR scale BETWEEN 1 AND 5",
            name=op.f("ck_survey_answers_scale_one_to_five"),
        ),
        sa.ForeignKeyConstraint(
            ["option_id"],
            ["survey_options.id"],
            name=op.f("fk_survey_answers_option_id_survey_options"),
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["survey_questions.id"],
            name=op.f("fk_survey_answers_question_id_survey_questions"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["survey_responses.id"],
            name=op.f("fk_survey_answers_response_id_survey_responses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
    )
    with op.batch_alter_table("survey_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_survey_answers_response_id"), ["response_id"], unique=False
        )
        batch_op.create_index(
            "ix_survey_answers_results", ["question_id", "option_id", "scale"], unique=False
        )


def downgrade():
    for table in (
        "survey_answers",
        "survey_text_answers",
        "survey_options",
        "survey_responses",
        "survey_questions",
        "surveys",
    ):
        op.drop_table(table)
