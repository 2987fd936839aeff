"""Fields and checks shared by the family schemas."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from app.i18n import N_
from app.money import Money

CIVIL_ID = validate.Regexp(r"^[0-9]{6,9}$", error=N_("A civil ID number is 6 to 9 digits."))
CR_NUMBER = validate.Regexp(
    r"^[0-9]{5,10}$", error=N_("A commercial registration number is 5 to 10 digits.")
)
PLATE = validate.Regexp(
    r"^[0-9]{1,6}\s?[A-Z\u0621-\u064A]{1,2}$",
    error=N_("A plate number is up to 6 digits and 1 or 2 letters."),
)


def text(max_length: int = 200, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class DetailsSchema(Schema):
    """Base of a family's details: stored as JSON (dates as ISO strings, money in baisa)."""

    @post_load
    def json_ready(self, data: dict[str, Any], **kwargs) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}


class PeriodMixin:
    """start_date ≤ end_date, when both are given (whole or partial schemas)."""

    @validates_schema
    def end_after_start(self, data, partial=None, **kwargs):
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end <= start:
            raise ValidationError(N_("The end date must come after the start date."), "end_date")


def money_field(**kwargs) -> Money:
    """An amount: in as a string of rials ("350", "350.5", "350.000"), kept in baisa (350000),
    out as a string with three decimals ("350.000")."""
    return Money(**kwargs)


class PersonalId(fields.String):
    """A number that identifies a person or a business (civil ID, CR number, a medical record):
    kept and shown in the API in full, masked in the documents we print."""


def personal_id(check: validate.Validator, **kwargs) -> PersonalId:
    return PersonalId(validate=check, **kwargs)


def plate(value: str) -> str:
    return re.sub(r"\s+", " ", value.strip().upper())
