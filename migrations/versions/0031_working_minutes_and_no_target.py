"""SLA targets in working minutes (inside each authority's working hours, 8:00–14:30 by
default) and services with no published target ("escalation only"): the authorities' working
hours, the services' and the tracked records' target unit, minutes and due moment; the seeded
placeholder targets converted to no target

Revision ID: 0031
Revises: 0030
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

TRACKED = ("applications", "refunds", "cases")
CHECKS = (
    ("sla_unit_known", "sla_unit IN ('working_days', 'working_minutes', 'none')"),
    ("sla_minutes_of_minute_targets", "(sla_unit = 'working_minutes') = (sla_minutes IS NOT NULL)"),
    ("sla_minutes_positive", "sla_minutes IS NULL OR sla_minutes > 0"),
    ("sla_days_of_day_targets", "sla_unit = 'working_days' OR sla_days = 0"),
)

# The note the catalogue seed appended (app.catalogue.seed, until this migration) to a service
# whose seed entry gives no time, with the placeholder target it set: exactly these texts, with
# `sla_days` still the number they name, mark a placeholder no admin has changed (an admin's new
# target clears the notes).
PLACEHOLDER_AR = re.compile(
    r"؛ وإلى أن يُعلن وقت محدد يُطبَّق الوقت المستهدف للخدمات الإجرائية: (\d+) أيام عمل\.$"
)
PLACEHOLDER_EN = re.compile(
    r" Until a fixed time is published, the target for procedural requests applies: "
    r"(\d+) working days\.$"
)
# As app.catalogue.seed.NO_TARGET_NOTE_* on the day of this migration.
NO_TARGET_AR = "؛ لا يوجد وقت مستهدف منشور: يُصعَّد الطلب بعد {days} أيام عمل دون إجراء."
NO_TARGET_EN = (
    " No target time is published: the request is escalated after {days} working days "
    "without action."
)

services = sa.table(
    "services",
    sa.column("id", sa.Integer),
    sa.column("sla_days", sa.Integer),
    sa.column("sla_unit", sa.String),
    sa.column("sla_note_ar", sa.Text),
    sa.column("sla_note_en", sa.Text),
    sa.column("escalation_days", sa.Integer),
)


def _placeholders(conn) -> list[tuple[int, str, str, int | None, int]]:
    """(id, note_ar without the placeholder, note_en without it, escalation days, days) of the
    services still on the seed's placeholder target."""
    found = []
    for row in conn.execute(sa.select(services)).mappings():
        ar = PLACEHOLDER_AR.search(row["sla_note_ar"] or "")
        en = PLACEHOLDER_EN.search(row["sla_note_en"] or "")
        if ar and en and int(ar.group(1)) == int(en.group(1)) == row["sla_days"]:
            note_ar = row["sla_note_ar"][: ar.start()]
            note_en = row["sla_note_en"][: en.start()]
            found.append((row["id"], note_ar, note_en, row["escalation_days"], row["sla_days"]))
    return found


def upgrade():
    with op.batch_alter_table("authorities") as batch:
        batch.add_column(
            sa.Column("work_starts_minute", sa.SmallInteger(), server_default="480", nullable=False)
        )
        batch.add_column(
            sa.Column("work_ends_minute", sa.SmallInteger(), server_default="870", nullable=False)
        )
    with op.batch_alter_table("services") as batch:
        batch.add_column(
            sa.Column("sla_unit", sa.String(20), server_default="working_days", nullable=False)
        )
        batch.add_column(sa.Column("sla_minutes", sa.Integer(), nullable=True))
    if op.get_bind().dialect.name != "sqlite":
        # SQLite adds a CHECK only by copying the table, and cannot drop `services` while
        # applications refer to it: there the rules stay the application's (the models').
        for name, condition in CHECKS:
            op.create_check_constraint(op.f(f"ck_services_{name}"), "services", condition)
    for table in TRACKED:
        # Added columns only: SQLite alters the table in place (no copy, which could not
        # reflect the queue's expression indexes).
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("sla_unit", sa.String(20), server_default="working_days", nullable=False)
            )
            batch.add_column(sa.Column("sla_target_minutes", sa.Integer(), nullable=True))
            batch.add_column(
                sa.Column("sla_paused_minutes", sa.Integer(), server_default="0", nullable=False)
            )
            batch.add_column(sa.Column("sla_due_at", sa.DateTime(timezone=True), nullable=True))

    conn = op.get_bind()
    for service_id, note_ar, note_en, escalation, days in _placeholders(conn):
        conn.execute(
            services.update()
            .where(services.c.id == service_id)
            .values(
                sla_unit="none",
                sla_days=0,
                sla_note_ar=note_ar.rstrip(".") + NO_TARGET_AR.format(days=escalation or "—"),
                sla_note_en=note_en.strip() + NO_TARGET_EN.format(days=escalation or "—"),
            )
        )
        # The open requests made under the placeholder (the service still had it, so every
        # request copied it): no target either, no due date, out of the queue's due bands.
        for table in ("applications", "cases"):
            extra = ", queue_band = 3" if table == "applications" else ""
            conn.execute(
                sa.text(
                    f"UPDATE {table} SET sla_unit = 'none', sla_target_days = 0,"
                    f" sla_due_date = NULL{extra}"
                    " WHERE service_id = :service AND sla_stopped_at IS NULL"
                    " AND sla_target_days = :days AND sla_unit = 'working_days'"
                ),
                {"service": service_id, "days": days},
            )


def downgrade():
    # The services with no target get the procedural placeholder back (6 working days, Al
    # Buraimi's, the only authority with such services); minute targets become whole days.
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "UPDATE services SET sla_days = 6, sla_unit = 'working_days' WHERE sla_unit = 'none'"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE services SET sla_days = 1, sla_unit = 'working_days', sla_minutes = NULL"
            " WHERE sla_unit = 'working_minutes'"
        )
    )
    if conn.dialect.name != "sqlite":
        for name, _ in reversed(CHECKS):
            op.drop_constraint(op.f(f"ck_services_{name}"), "services", type_="check")
    for column in ("sla_minutes", "sla_unit"):
        op.execute(f"ALTER TABLE services DROP COLUMN {column}")
    for table in TRACKED:
        # Plain DROP COLUMN (SQLite 3.35+ too): a batch copy could not keep the expression
        # indexes of the queues.
        for column in ("sla_due_at", "sla_paused_minutes", "sla_target_minutes", "sla_unit"):
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    for column in ("work_ends_minute", "work_starts_minute"):  # no copy of a referenced table
        op.execute(f"ALTER TABLE authorities DROP COLUMN {column}")
