from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.authorities.models import Authority, Department
from app.catalogue.search import normalise_arabic
from app.extensions import db
from app.models import Timestamped


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
    fee_baisa: Mapped[int]
    fee_is_placeholder: Mapped[bool] = mapped_column(default=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    authority: Mapped[Authority] = relationship()
    department: Mapped[Department] = relationship()
    required_documents: Mapped[list[RequiredDocument]] = relationship(
        back_populates="service",
        order_by="RequiredDocument.position",
        cascade="all, delete-orphan",
    )

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
