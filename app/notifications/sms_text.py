"""SMS encoding and part counts: GSM-7 (160 characters, 153 a part when split) or UCS-2
(70 characters, 67 a part), as operators bill them."""

from __future__ import annotations

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")  # each takes two septets (escape + character)


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def sms_units(text: str) -> tuple[str, int]:
    """The encoding and the length in its units: septets for GSM-7, UTF-16 code units for UCS-2."""
    if is_gsm7(text):
        return "gsm7", sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return "ucs2", len(text.encode("utf-16-le")) // 2


def sms_parts(text: str) -> int:
    """How many parts the message is sent in (0 for an empty text)."""
    encoding, units = sms_units(text)
    single, multi = (160, 153) if encoding == "gsm7" else (70, 67)
    if units == 0:
        return 0
    if units <= single:
        return 1
    return -(-units // multi)
