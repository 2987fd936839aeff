"""Omani amounts in words, for receipts: 12500 baisa → "Twelve Omani rials and five hundred baisa",
"اثنا عشر ريالًا عمانيًا وخمسمائة بيسة".

The number words come from `num2words`; the currency grammar is ours. In Arabic the counted noun
follows the last two digits of its number: 1 "ريال عماني واحد", 2 "ريالان عمانيان" (the noun alone),
3–10 the plural "ثلاثة ريالات عمانية", 11–99 the accusative singular "أحد عشر ريالًا عمانيًا",
and a round hundred or thousand, or 101/102, the singular "مائة ريال عماني". num2words' Arabic
numbers count masculine nouns (ريال); بيسة is feminine, so its numbers take the feminine forms
("ثلاث بيسات", "إحدى عشرة بيسة", "بيسة واحدة", "بيستان"). num2words writes the dual of a round
hundred or thousand in its construct form ("مئتا", "ألفا"), which is right here because the noun
always follows. A zero part is left out unless the whole amount is zero; a negative amount (a
credit note) starts with "Minus" / "سالب".
"""

from __future__ import annotations

import re

from num2words import num2words

from app.money import BAISA_PER_RIAL

# Masculine number words (as num2words writes them) → the feminine forms that count بيسة.
# Teens first: "ثلاثة عشر" must not become "ثلاث عشر".
_FEMININE = {
    "أحد عشر": "إحدى عشرة",
    "اثنا عشر": "اثنتا عشرة",
    "ثلاثة عشر": "ثلاث عشرة",
    "أربعة عشر": "أربع عشرة",
    "خمسة عشر": "خمس عشرة",
    "ستة عشر": "ست عشرة",
    "سبعة عشر": "سبع عشرة",
    "ثمانية عشر": "ثماني عشرة",
    "تسعة عشر": "تسع عشرة",
    "واحد": "واحدة",
    "اثنان": "اثنتان",
    "ثلاثة": "ثلاث",
    "أربعة": "أربع",
    "خمسة": "خمس",
    "ستة": "ست",
    "سبعة": "سبع",
    "ثمانية": "ثماني",
    "تسعة": "تسع",
    "عشرة": "عشر",
}
_FEMININE_WORD = re.compile(r"(?<!\S)(" + "|".join(_FEMININE) + r")(?!\S)")
# "واحدة و عشرون" is "إحدى وعشرون": before a ten, one is إحدى.
_ONE_BEFORE_TEN = re.compile(r"(?<!\S)واحدة(?= و \S+ون(?!\S))")


def amount_in_words_en(baisa: int) -> str:
    """12500 → "Twelve Omani rials and five hundred baisa"; 10 → "Ten baisa";
    0 → "Zero Omani rials"; -5000 → "Minus five Omani rials"."""
    rials, rest = _split(baisa)
    parts = []
    if rials or not rest:
        parts.append(f"{num2words(rials, lang='en')} Omani {'rial' if rials == 1 else 'rials'}")
    if rest:
        parts.append(f"{num2words(rest, lang='en')} baisa")
    words = " and ".join(parts)
    if baisa < 0:
        words = "minus " + words
    return words[0].upper() + words[1:]


def amount_in_words_ar(baisa: int) -> str:
    """12500 → "اثنا عشر ريالًا عمانيًا وخمسمائة بيسة"; 0 → "صفر ريال عماني";
    -5000 → "سالب خمسة ريالات عمانية"."""
    rials, rest = _split(baisa)
    if not rials and not rest:
        return "صفر ريال عماني"
    parts = []
    if rials:
        parts.append(
            _counted(rials, _arabic_number(rials), "ريال عماني", "ريالات عمانية", "ريالًا عمانيًا")
        )
        if rials == 1:
            parts[-1] = "ريال عماني واحد"
        elif rials == 2:
            parts[-1] = "ريالان عمانيان"
    if rest:
        parts.append(_counted(rest, _arabic_number(rest, feminine=True), "بيسة", "بيسات", "بيسة"))
        if rest == 1:
            parts[-1] = "بيسة واحدة"
        elif rest == 2:
            parts[-1] = "بيستان"
    words = " و".join(parts)
    return "سالب " + words if baisa < 0 else words


def _split(baisa: int) -> tuple[int, int]:
    if isinstance(baisa, bool) or not isinstance(baisa, int):
        raise TypeError(f"an amount in baisa is an int, not {type(baisa).__name__}")
    return divmod(abs(baisa), BAISA_PER_RIAL)


def _counted(number: int, words: str, singular: str, plural: str, accusative: str) -> str:
    """The number's words followed by the noun in the form its last two digits ask for."""
    last_two = number % 100
    if 3 <= last_two <= 10:
        return f"{words} {plural}"
    if 11 <= last_two <= 99:
        return f"{words} {accusative}"
    return f"{words} {singular}"  # 100, 1000, …, and 101, 102, 1001, …


def _arabic_number(number: int, *, feminine: bool = False) -> str:
    """num2words' Arabic cardinal (feminine forms on request), with "و" joined to the word after
    it ("وخمسمائة", as Arabic is written) and the tanween written fathatan-then-alif ("ألفًا", as
    in "ريالًا")."""
    words = num2words(number, lang="ar")
    if feminine:
        words = _FEMININE_WORD.sub(lambda match: _FEMININE[match[1]], words)
        words = _ONE_BEFORE_TEN.sub("إحدى", words)
    words = re.sub(r"(?<!\S)و\s+", "و", words)
    return words.replace("اً", "ًا")
