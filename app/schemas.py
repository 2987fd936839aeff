"""Fields and schemas shared by every API: times in Asia/Muscat, bilingual names, money."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, pre_load, validate

from app.converters import MAX_ID
from app.input import INTEGER_MESSAGE
from app.timeutil import MUSCAT, to_muscat


def Id(**kwargs) -> fields.Integer:  # noqa: N802 (a field, named like the fields it sits with)
    """An id given in a body or a query: a whole number in the id columns' range (1 to 2^31 − 1),
    so an id beyond it is 422 instead of an error of the database."""
    return fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def id_text_in_range(value: str) -> None:
    """A validator for a text that may hold an id (`assignee=42`): its number in the id range."""
    if value.isdigit() and not 1 <= int(value) <= MAX_ID:
        raise ValidationError(INTEGER_MESSAGE)


class MuscatDateTime(fields.DateTime):
    """A UTC datetime shown in Asia/Muscat (ISO 8601 with +04:00)."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return to_muscat(value).isoformat()


class MuscatLocalDateTime(fields.DateTime):
    """A moment read from ISO 8601: with an offset (`2026-12-17T09:00:00+04:00`, `...Z`) as
    given; without one (`2026-12-17T09:00:00`) or as a plain date (`2026-12-17`, its first
    moment) in Asia/Muscat local time, the time every user of the service lives in."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=MUSCAT)


class TidyNamesSchema(Schema):
    """An input whose `name_ar` and `name_en` are kept with single spaces, none at the ends."""

    @pre_load
    def tidy_names(self, data, **kwargs):
        if isinstance(data, dict):
            data = dict(data)
            for key in ("name_ar", "name_en"):
                if isinstance(data.get(key), str):
                    data[key] = " ".join(data[key].split())
        return data


class BilingualRefSchema(Schema):
    """A reference to something with a code and a name in both languages."""

    code = fields.String()
    name_ar = fields.String()
    name_en = fields.String()


class AuthorityRefSchema(BilingualRefSchema):
    pass


class DepartmentRefSchema(BilingualRefSchema):
    pass


class ServiceRefSchema(BilingualRefSchema):
    pass


class StoredFileSchema(Schema):
    """A file kept under a name we generated: what it is, never where it is."""

    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    uploaded_at = MuscatDateTime()


class TimelineEventSchema(Schema):
    """One step of a record's timeline (applications, refunds): when, what, by which role, why."""

    at = MuscatDateTime()
    action = fields.String()
    actor_role = fields.String()
    from_state = fields.String()
    to_state = fields.String()
    note = fields.String(allow_none=True)
