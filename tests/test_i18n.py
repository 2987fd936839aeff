"""One catalogue: every message in the code has its Arabic, and the compiled file is current."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.test_architecture import SOURCE_PACKAGES

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "app/translations/ar/LC_MESSAGES/messages.po"
MO = ROOT / "app/translations/ar/LC_MESSAGES/messages.mo"
KEYWORDS = {"N_": None, "lazy_gettext": None, "gettext": None, "_": None}


def _code_messages() -> set[str]:
    found = set()
    for package in SOURCE_PACKAGES:
        for _, _, message, _, _ in extract_from_dir(ROOT / package, keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_code_has_arabic():
    catalogue = read_po(PO.open("rb"))
    arabic = {m.id: m.string for m in catalogue if m.id}
    missing = sorted(m for m in _code_messages() if not arabic.get(m))
    assert missing == []


def test_compiled_catalogue_matches_the_po_file():
    compiled = read_mo(MO.open("rb"))
    expected = io.BytesIO()
    write_mo(expected, read_po(PO.open("rb")))
    expected.seek(0)
    fresh = read_mo(expected)
    assert {m.id: m.string for m in compiled if m.id} == {m.id: m.string for m in fresh if m.id}
