"""URL converters: `<isodate:day>` takes a YYYY-MM-DD date."""

from __future__ import annotations

from datetime import date

from werkzeug.routing import BaseConverter, ValidationError


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
    app.url_map.converters["isodate"] = IsoDateConverter
    api.register_converter(
        IsoDateConverter, lambda _converter: {"type": "string", "format": "date"}
    )
