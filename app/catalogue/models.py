from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship, remote, validates

from app.authorities.models import Authority, Department
from app.catalogue.search import normalise_arabic
from app.extensions import db
from app.models import Timestamped
from app.positions.models import Position, PositionCode


class ServiceFamily(enum.StrEnum):
    LEASE = "lease"
    HEALTH_CARD = "health_card"
    VEHICLE_SIGNAGE = "vehicle_signage"
    BUILDING_PERMIT = "building_permit"
    MUNICIPAL_LICENCE = "municipal_licence"
    TEMPORARY_LICENCE = "temporary_licence"
    INSPECTION = "inspection"
    CERTIFICATE = "certificate"
    COMPLAINT = "complaint"
    GENERAL = "general"


class ServiceAction(enum.StrEnum):
    REGISTER = "register"
    RENEW = "renew"
    AMEND = "amend"
    CANCEL = "cancel"
    OTHER = "other"


# How an escalation reaches its recipients (the seed's "system" is the in-app notice).
ESCALATION_CHANNELS = ("in_app", "email", "sms")
# Level 3 (the authority's director) after this many further working days past level 2: the seed
# gives no second threshold, and one working week more is the smallest that is not a second
# notice of the same delay (issue 15; an admin sets it per service).
DEFAULT_DIRECTOR_ESCALATION_DAYS = 5


def _string_enum(kind: type[enum.Enum]) -> sa.Enum:
    return sa.Enum(
        kind, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e]
    )


class Service(Timestamped, db.Model):
    """A service an authority offers: its target in working days (0: instant), in working
    minutes, or none (escalation only); escalation,
    fee and required documents.

    An application copies the target, the fee and the required documents when its draft is
    created, so a change to them applies to applications created after it.
    `search_ar` and `search_en` are the names in search form, kept in step whenever a name is
    set.
    """

    __tablename__ = "services"
    __table_args__ = (
        sa.CheckConstraint("sla_days >= 0", name="sla_days_not_negative"),
        sa.CheckConstraint(
            "sla_unit IN ('working_days', 'working_minutes', 'none')", name="sla_unit_known"
        ),
        sa.CheckConstraint(
            "(sla_unit = 'working_minutes') = (sla_minutes IS NOT NULL)",
            name="sla_minutes_of_minute_targets",
        ),
        sa.CheckConstraint("sla_minutes IS NULL OR sla_minutes > 0", name="sla_minutes_positive"),
        sa.CheckConstraint(
            "sla_unit = 'working_days' OR sla_days = 0", name="sla_days_of_day_targets"
        ),
        sa.CheckConstraint(
            "escalation_days IS NULL OR escalation_days > 0", name="escalation_days_positive"
        ),
        sa.CheckConstraint("fee_baisa >= 0", name="fee_not_negative"),
        sa.CheckConstraint("director_escalation_days > 0", name="director_escalation_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    # The department that handles it (app.catalogue.departments): whose head is escalated to
    # by default, and under which the SLA report groups it.
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    name_ar: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    search_ar: Mapped[str] = mapped_column(sa.Text)
    search_en: Mapped[str] = mapped_column(sa.Text)
    description_ar: Mapped[str] = mapped_column(sa.Text, default="")
    description_en: Mapped[str] = mapped_column(sa.Text, default="")
    family: Mapped[ServiceFamily] = mapped_column(_string_enum(ServiceFamily))
    action: Mapped[ServiceAction] = mapped_column(_string_enum(ServiceAction))
    sla_days: Mapped[int]
    # The target's unit (app.sla.SlaUnit): working_days (sla_days), working_minutes
    # (sla_minutes, inside the authority's working hours; sla_days 0) or none (no published
    # target, escalation only; sla_days 0).
    sla_unit: Mapped[str] = mapped_column(
        sa.String(20), default="working_days", server_default="working_days"
    )
    sla_minutes: Mapped[int | None]
    sla_note_ar: Mapped[str | None] = mapped_column(sa.Text)
    sla_note_en: Mapped[str | None] = mapped_column(sa.Text)
    escalation_days: Mapped[int | None]
    escalate_to: Mapped[str | None] = mapped_column(sa.String(20))
    # Whom level 2 of the escalation ladder notifies (app.positions): NULL is the head of the
    # service's department; and by which channels (ESCALATION_CHANNELS), every level.
    escalation_position_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("positions.id", ondelete="SET NULL")
    )
    escalation_channels: Mapped[list[str]] = mapped_column(
        sa.JSON,
        default=lambda: list(ESCALATION_CHANNELS),
        server_default=sa.text("""'["in_app", "email", "sms"]'"""),
    )
    director_escalation_days: Mapped[int] = mapped_column(
        default=DEFAULT_DIRECTOR_ESCALATION_DAYS,
        server_default=str(DEFAULT_DIRECTOR_ESCALATION_DAYS),
    )
    fee_baisa: Mapped[int]
    fee_is_placeholder: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    authority: Mapped[Authority] = relationship()
    department: Mapped[Department] = relationship()
    escalation_position: Mapped[Position | None] = relationship()
    # The head of its department's position: whom level 2 reaches when it names no position.
    department_head_position: Mapped[Position | None] = relationship(
        primaryjoin=lambda: sa.and_(
            foreign(Service.department_id) == remote(Position.department_id),
            Position.code == PositionCode.DEPARTMENT_HEAD,
        ),
        viewonly=True,
        uselist=False,
    )
    required_documents: Mapped[list[RequiredDocument]] = relationship(
        back_populates="service",
        order_by="RequiredDocument.position",
        cascade="all, delete-orphan",
    )

    @property
    def escalation_recipient(self) -> Position | None:
        """The position level 2 of its escalation reaches first: the one it names, or else its
        department's head."""
        return self.escalation_position or self.department_head_position

    @property
    def escalates_to_department_head(self) -> bool:
        return self.escalation_position_id is None

    @validates("name_ar", "name_en")
    def _keep_search_form(self, key: str, name: str) -> str:
        setattr(self, "search_" + key.removeprefix("name_"), normalise_arabic(name))
        return name


class RequiredDocument(db.Model):
    """A document an applicant attaches to an application for a service."""

    __tablename__ = "service_documents"
    __table_args__ = (
        sa.UniqueConstraint("service_id", "code", name="uq_service_documents_service_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(
        sa.ForeignKey("services.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(sa.String(60))
    name_ar: Mapped[str] = mapped_column(sa.String(300))
    name_en: Mapped[str] = mapped_column(sa.String(300))
    mandatory: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)

    service: Mapped[Service] = relationship(back_populates="required_documents")
