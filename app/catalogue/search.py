"""The search form of a service name, so that a plain LIKE finds it on SQLite and PostgreSQL.

People type Arabic with or without diacritics and write alef, hamza and taa marbuta in several
ways ("اباحة", "إباحة", "إباحه"). Names are stored beside their search form, and a query is
put in the same form before it is compared.
"""

from __future__ import annotations

import re
import unicodedata

# Tashkeel and Quranic marks: harakat, tanween, shadda, sukun, superscript alef, small high signs.
_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed]")
_TATWEEL = "\u0640"
_LETTERS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ئ": "ي",
        "ى": "ي",
        "ی": "ي",  # Persian yeh, from Persian keyboards
        "ک": "ك",  # Persian kaf
        "ة": "ه",
        _TATWEEL: None,
        **{chr(0x0660 + d): str(d) for d in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + d): str(d) for d in range(10)},  # Extended Arabic-Indic digits
    }
)


def normalise_arabic(text: str) -> str:
    """The search form of `text`, Arabic or English.

    Compatibility forms unfolded (presentation forms and ligatures such as "ﻻ"), diacritics and
    tatweel removed, أ إ آ ٱ → ا, ؤ → و, ئ ى → ي, ة → ه, Arabic-Indic digits → 0-9, letters
    case-folded (for English), runs of white space made one space.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _MARKS.sub("", text).translate(_LETTERS)
    return " ".join(text.casefold().split())
