"""What each family needs. The register schema is complete; renewals take the same fields as
optional updates, amendments a non-empty set of changes."""

from __future__ import annotations

from functools import cache
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from app.i18n import N_
from app.money import Money, format_baisa
from licensing.families.fields import (
    CIVIL_ID,
    CR_NUMBER,
    PLATE,
    DetailsSchema,
    PeriodMixin,
    PersonalId,
    money_field,
    personal_id,
    text,
)

USES = ("residential", "commercial", "industrial", "agricultural", "mixed", "government")


class LeaseSchema(PeriodMixin, DetailsSchema):
    landlord_name = text(required=True)
    landlord_civil_id = personal_id(CIVIL_ID, required=True)
    tenant_name = text(required=True)
    tenant_civil_id = personal_id(CIVIL_ID, required=True)
    property_reference = text(
        60, required=True, metadata={"description": "Plot or property reference"}
    )
    use = fields.String(required=True, validate=validate.OneOf(USES))
    monthly_rent = money_field(
        required=True,
        metadata={
            "description": "Monthly rent in Omani rials, a string with at most three decimals "
            '("350", "350.5", "350.000"); given back with three ("350.000")'
        },
    )
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)


class HealthCardSchema(DetailsSchema):
    holder_civil_id = personal_id(CIVIL_ID, required=True)
    holder_name = text(required=True)
    nationality = text(60, required=True)
    occupation = text(100, required=True)
    establishment_cr = personal_id(CR_NUMBER, required=True)
    medical_examination_reference = personal_id(validate.Length(min=1, max=60), required=True)


class VehicleSignageSchema(DetailsSchema):
    plate_number = fields.String(required=True, validate=PLATE)
    sign_type = fields.String(required=True, validate=validate.OneOf(("health", "commercial")))
    sign_width_cm = fields.Integer(required=True, validate=validate.Range(min=10, max=1000))
    sign_height_cm = fields.Integer(required=True, validate=validate.Range(min=10, max=1000))
    wording_ar = text(300)
    wording_en = text(300)

    @validates_schema
    def some_wording(self, data, partial=None, **kwargs):
        if not partial and not (data.get("wording_ar") or data.get("wording_en")):
            raise ValidationError(N_("Give the sign's wording in Arabic or English."), "wording_ar")


class BuildingPermitSchema(DetailsSchema):
    plot_number = text(60, required=True)
    land_use = fields.String(required=True, validate=validate.OneOf(USES))
    floors = fields.Integer(required=True, validate=validate.Range(min=1, max=60))
    built_area_m2 = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))
    consultant_licence_number = text(40, required=True)
    drawings = fields.List(
        text(120),
        required=True,
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Titles of the drawings uploaded as documents"},
    )


class MunicipalLicenceSchema(DetailsSchema):
    cr_number = personal_id(CR_NUMBER, required=True)
    activity = text(200, required=True)
    premises_location = text(300, required=True, metadata={"description": "Wilayat, area and plot"})
    premises_area_m2 = fields.Integer(required=True, validate=validate.Range(min=1, max=1_000_000))


class TemporaryLicenceSchema(PeriodMixin, MunicipalLicenceSchema):
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)


# A family whose catalogue has one service per kind of record: the field that says the kind and,
# for each value, the stem of its services' codes (`{authority}-{stem}-{ACTION}`, e.g.
# NBG-HEALTH-VEHSIGN-REGISTER). The kind is fixed at registration: renewals and amendments keep it.
SERVICE_KINDS = {
    "vehicle_signage": ("sign_type", {"health": "HEALTH-VEHSIGN", "commercial": "VEHSIGN"}),
}

FAMILIES = {
    # family: (url segment, blueprint description, schema)
    "lease": ("leases", "Lease contracts: register, renew, amend, cancel", LeaseSchema),
    "health_card": ("health-cards", "Health cards", HealthCardSchema),
    "vehicle_signage": (
        "vehicle-signage",
        "Health and commercial vehicle signage",
        VehicleSignageSchema,
    ),
    "building_permit": ("building-permits", "Building permits", BuildingPermitSchema),
    "municipal_licence": (
        "municipal-licences",
        "Permanent municipal licences",
        MunicipalLicenceSchema,
    ),
    "temporary_licence": (
        "temporary-licences",
        "Temporary municipal licences",
        TemporaryLicenceSchema,
    ),
}


@cache
def _fields_of_type(family: str, kind: type) -> frozenset[str]:
    schema = FAMILIES[family][2]
    return frozenset(name for name, f in schema._declared_fields.items() if isinstance(f, kind))


def money_fields(family: str) -> frozenset[str]:
    """The family's amounts: baisa in the stored details, three-decimal strings outside."""
    return _fields_of_type(family, Money) if family in FAMILIES else frozenset()


def personal_id_fields(family: str) -> frozenset[str]:
    """The family's civil IDs, CR numbers and the like: masked in printed documents."""
    return _fields_of_type(family, PersonalId) if family in FAMILIES else frozenset()


def shown_details(family: str, details: dict[str, Any], checked: bool = True) -> dict[str, Any]:
    """Stored details as the API shows them: each amount of the family's schema as a string with
    three decimals, also inside an amendment's `changes`. `checked` is False for free-form
    details (a service outside the register), which were never read as amounts and are shown
    as they came."""
    money = money_fields(family) if checked else frozenset()
    if not money or not isinstance(details, dict):
        return details
    shown = {
        key: format_baisa(value)
        if key in money and isinstance(value, int) and not isinstance(value, bool)
        else value
        for key, value in details.items()
    }
    if isinstance(shown.get("changes"), dict):
        shown["changes"] = shown_details(family, shown["changes"])
    return shown
