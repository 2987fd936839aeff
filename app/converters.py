"""URL converters: `<int:id>` is bounded by the id columns' range, `<isodate:day>` takes a
YYYY-MM-DD date.

An id beyond the column's range (PostgreSQL's `integer`, 2^31 − 1) would fail in the database;
bounded here, such a path matches no route and is 404 like any id that does not exist.
"""

from __future__ import annotations

from datetime import date

from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """Werkzeug's `int`, from 1 to `MAX_ID` unless a rule says otherwise."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class IsoDateConverter(BaseConverter):
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise ValidationError() from error

    def to_url(self, value: date) -> str:
        return value.isoformat()


def register_converters(app, api) -> None:
    """Before any blueprint is registered: rules take their converters when they are added."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["isodate"] = IsoDateConverter
    api.register_converter(
        IdConverter,
        lambda converter: {"type": "integer", "minimum": converter.min, "maximum": converter.max},
    )
    api.register_converter(
        IsoDateConverter, lambda _converter: {"type": "string", "format": "date"}
    )
