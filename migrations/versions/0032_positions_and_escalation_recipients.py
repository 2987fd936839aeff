"""positions staff hold (an authority's director, department heads, section managers, the
Governor's and the Wali's office directors) and the escalations that passed over an unfilled one;
services' escalation position, channels and level-3 threshold. Backfilled as the seed makes
them (app.positions.seed): a director per authority, a head per department (held by its one
active department head, if exactly one), Al Buraimi's named positions, unfilled, and its seeded
services' positions and channels (meeting requests: in-app and e-mail only)

Revision ID: 0032
Revises: 0031
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

ALL_CHANNELS = ["in_app", "email", "sms"]
# As app/catalogue/seed_data/al_buraimi.json and app.positions.seed on the day of this
# migration: service code -> (position key, or None for the head of the service's section,
# position code, Arabic and English names, in the service's department?, channels).
GOVERNOR = (
    "governor_office_director",
    "governor_office_director",
    "مدير مكتب المحافظ",
    "Director of the Governor's Office",
    False,
)
WALI = (
    "wali_office_director",
    "wali_office_director",
    "مدير مكتب الوالي",
    "Director of the Wali's Office",
    False,
)
TRAINING = (
    "training_section",
    "section_manager",
    "مدير قسم التدريب",
    "Manager of the Training Section",
    True,
)
WINTER = (
    "winter_camps_section",
    "section_manager",
    "مدير قسم المخيمات الشتوية",
    "Manager of the Winter Camps Section",
    True,
)
SECTION = (None, "section_manager", "رئيس القسم", "Head of the section", True)
NO_SMS = ["in_app", "email"]
ABG_SERVICES = {
    "ABG-MEETING-GOVERNOR": (GOVERNOR, NO_SMS),
    "ABG-MEETING-WALI": (WALI, NO_SMS),
    "ABG-TRAINING-REQUEST": (TRAINING, ALL_CHANNELS),
    "ABG-WINTER-CAMP": (WINTER, ALL_CHANNELS),
    **{
        code: (SECTION, ALL_CHANNELS)
        for code in (
            "ABG-EQUIP-PIT-SWAMP-FILLING",
            "ABG-EQUIP-WEATHER-DAMAGE-REPAIR",
            "ABG-EQUIP-WADI-PROTECTION",
            "ABG-HAWKER-LOCATION",
            "ABG-MOBILE-CAFE-LOCATION",
            "ABG-STRAY-ANIMAL-CAPTURE",
            "ABG-PEST-VECTOR-CONTROL",
            "ABG-PUBLIC-CLEANING",
            "ABG-LIWAN-CLOSURE",
            "ABG-COMMERCIAL-FRONT-SPACE-USE",
        )
    },
}  # fmt: skip


def upgrade():
    op.create_table(
        "positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("authority_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column(
            "code",
            sa.Enum(
                "director",
                "department_head",
                "section_manager",
                "governor_office_director",
                "wali_office_director",
                name="positioncode",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("name_ar", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("reports_to_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "code <> 'director' OR (department_id IS NULL AND reports_to_id IS NULL)",
            name=op.f("ck_positions_director_tops_the_authority"),
        ),
        sa.CheckConstraint(
            "code NOT IN ('department_head', 'section_manager') OR department_id IS NOT NULL",
            name=op.f("ck_positions_department_positions_have_department"),
        ),
        sa.CheckConstraint(
            "reports_to_id IS NULL OR reports_to_id <> id",
            name=op.f("ck_positions_reports_to_another"),
        ),
        sa.ForeignKeyConstraint(
            ["authority_id"], ["authorities.id"], name=op.f("fk_positions_authority_id_authorities")
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["departments.id"],
            name=op.f("fk_positions_department_id_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["holder_id"], ["users.id"], name=op.f("fk_positions_holder_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reports_to_id"], ["positions.id"], name=op.f("fk_positions_reports_to_id_positions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint("authority_id", "key", name="uq_positions_authority_key"),
    )
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_positions_authority_id"), ["authority_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_positions_holder_id"), ["holder_id"], unique=False)
        batch_op.create_index(
            "uq_positions_one_director",
            ["authority_id"],
            unique=True,
            postgresql_where=sa.text("code = 'director'"),
            sqlite_where=sa.text("code = 'director'"),
        )
        batch_op.create_index(
            "uq_positions_one_head_per_department",
            ["department_id"],
            unique=True,
            postgresql_where=sa.text("code = 'department_head'"),
            sqlite_where=sa.text("code = 'department_head'"),
        )

    op.create_table(
        "position_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("position_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("passed_over_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["position_id"],
            ["positions.id"],
            name=op.f("fk_position_gaps_position_id_positions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_position_gaps_service_id_services"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_position_gaps")),
    )
    with op.batch_alter_table("position_gaps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_position_gaps_position_id"), ["position_id"], unique=False
        )

    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("escalation_position_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "escalation_channels",
                sa.JSON(),
                server_default=sa.text('\'["in_app", "email", "sms"]\''),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("director_escalation_days", sa.Integer(), server_default="5", nullable=False)
        )
        batch_op.create_check_constraint(
            batch_op.f("ck_services_director_escalation_positive"), "director_escalation_days > 0"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_services_escalation_position_id_positions"),
            "positions",
            ["escalation_position_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _backfill(op.get_bind())


def downgrade():
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_services_escalation_position_id_positions"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("ck_services_director_escalation_positive"), type_="check"
        )
        batch_op.drop_column("director_escalation_days")
        batch_op.drop_column("escalation_channels")
        batch_op.drop_column("escalation_position_id")

    with op.batch_alter_table("position_gaps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_position_gaps_position_id"))

    op.drop_table("position_gaps")
    with op.batch_alter_table("positions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_positions_one_head_per_department",
            postgresql_where=sa.text("code = 'department_head'"),
            sqlite_where=sa.text("code = 'department_head'"),
        )
        batch_op.drop_index(
            "uq_positions_one_director",
            postgresql_where=sa.text("code = 'director'"),
            sqlite_where=sa.text("code = 'director'"),
        )
        batch_op.drop_index(batch_op.f("ix_positions_holder_id"))
        batch_op.drop_index(batch_op.f("ix_positions_authority_id"))

    op.drop_table("positions")


def _backfill(conn) -> None:
    now = datetime.now(UTC)
    if conn.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)

    def insert(authority_id, department_id, key, code, name_ar, name_en, holder, up) -> int:
        return conn.execute(
            sa.text(
                "INSERT INTO positions (authority_id, department_id, key, code, name_ar, name_en,"
                " holder_id, reports_to_id, created_at, updated_at) VALUES (:a, :d, :key, :code,"
                " :ar, :en, :holder, :up, :now, :now) RETURNING id"
            ),
            {"a": authority_id, "d": department_id, "key": key, "code": code, "ar": name_ar,
             "en": name_en, "holder": holder, "up": up, "now": now},
        ).scalar_one()  # fmt: skip

    authorities = conn.execute(sa.text("SELECT id, code, name_ar, name_en FROM authorities"))
    heads: dict[int, int] = {}  # department id -> its head's position
    directors: dict[str, int] = {}
    for authority in authorities.all():
        director = insert(authority.id, None, "director", "director",
                          f"مدير {authority.name_ar}", f"Director of {authority.name_en}", None,
                          None)  # fmt: skip
        directors[authority.code] = director
        departments = conn.execute(
            sa.text("SELECT id, code, name_ar, name_en FROM departments WHERE authority_id = :a"),
            {"a": authority.id},
        )
        for department in departments.all():
            holders = conn.execute(
                sa.text(
                    "SELECT id FROM users WHERE department_id = :d AND role = 'department_head'"
                    " AND is_active"
                ),
                {"d": department.id},
            ).scalars().all()  # fmt: skip
            heads[department.id] = insert(
                authority.id, department.id, f"department_head:{department.code}",
                "department_head", f"مدير {department.name_ar}",
                f"Head of the {department.name_en}", holders[0] if len(holders) == 1 else None,
                director,
            )  # fmt: skip
    if "ABG" not in directors:
        return
    services = conn.execute(
        sa.text(
            "SELECT s.id, s.code, s.authority_id, s.department_id, d.code AS department,"
            " d.name_ar, d.name_en FROM services s JOIN departments d ON d.id = s.department_id"
            " JOIN authorities a ON a.id = s.authority_id WHERE a.code = 'ABG'"
        )
    )
    made: dict[str, int] = {}
    for service in services.all():
        if service.code not in ABG_SERVICES:
            continue
        (key, code, name_ar, name_en, in_department), channels = ABG_SERVICES[service.code]
        if key is None:
            key = f"section_head:{service.department}"
            name_ar, name_en = f"{name_ar} ({service.name_ar})", f"{name_en} ({service.name_en})"
        if key not in made:
            made[key] = insert(
                service.authority_id, service.department_id if in_department else None, key,
                code, name_ar, name_en, None,
                heads[service.department_id] if in_department else directors["ABG"],
            )  # fmt: skip
        conn.execute(
            sa.text(
                "UPDATE services SET escalation_position_id = :p, escalation_channels = :c"
                " WHERE id = :id"
            ).bindparams(sa.bindparam("c", type_=sa.JSON())),
            {"p": made[key], "c": channels, "id": service.id},
        )
