"""Money: integer baisa inside (1 OMR = 1,000 baisa), strings with three decimals at the edge.

Amounts never pass through a float: "12.345" is parsed digit by digit, and an amount with more
than three decimals is refused rather than rounded.
"""

from __future__ import annotations

import re

from marshmallow import ValidationError, fields

from app.i18n import N_

BAISA_PER_RIAL = 1000
_AMOUNT = re.compile(r"(?P<rials>[0-9]{1,12})(?:\.(?P<baisa>[0-9]{1,3}))?")

NOT_AN_AMOUNT = N_(
    'Give the amount in Omani rials as a string with at most three decimals, for example "12.500".'
)


def format_baisa(baisa: int) -> str:
    """12500 → "12.500"; 0 → "0.000"; -1500 → "-1.500"."""
    if isinstance(baisa, bool) or not isinstance(baisa, int):
        raise TypeError(f"an amount in baisa is an int, not {type(baisa).__name__}")
    sign = "-" if baisa < 0 else ""
    rials, rest = divmod(abs(baisa), BAISA_PER_RIAL)
    return f"{sign}{rials}.{rest:03d}"


def parse_omr(text: str) -> int:
    """ "12.5" or "12.500" → 12500 baisa; "12" → 12000.

    Refuses (ValueError) anything but a string of digits with at most three decimals: floats,
    negative amounts, exponents, more than three decimals (never rounded), empty strings.
    """
    if not isinstance(text, str):
        raise ValueError(f"an amount is a string, not {type(text).__name__}")
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an amount in rials with at most three decimals: {text!r}")
    baisa = (match["baisa"] or "").ljust(3, "0")
    return int(match["rials"]) * BAISA_PER_RIAL + int(baisa)


class Money(fields.String):
    """An amount: baisa (int) inside, a string with three decimals in JSON."""

    def __init__(self, **kwargs) -> None:
        metadata = {"description": "Omani rials, a string with three decimals", "example": "5.000"}
        metadata.update(kwargs.pop("metadata", {}))
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else format_baisa(value)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not isinstance(value, str):
            raise ValidationError(NOT_AN_AMOUNT)
        try:
            return parse_omr(value)
        except ValueError as error:
            raise ValidationError(NOT_AN_AMOUNT) from error
