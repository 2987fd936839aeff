"""The caller's language, and the one catalogue that every user-facing message comes from.

Messages are gettext message ids in English (`app/translations/ar/LC_MESSAGES/messages.po`
holds the Arabic). Arabic is the default; `Accept-Language` picks English.
Marshmallow's own validation messages ("Missing data for required field.", "Length must be
between {min} and {max}.") are in the same catalogue: `translate_message` matches a
formatted message back to its template and translates it with the same arguments.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from babel.messages.pofile import read_po
from flask import current_app, has_request_context, request
from flask_babel import force_locale, get_locale, gettext
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from app.config import ROOT

LANGUAGES = ("ar", "en")
DEFAULT_LANGUAGE = "ar"
CATALOGUE = ROOT / "app" / "translations" / "ar" / "LC_MESSAGES" / "messages.po"


def N_(message: str) -> str:
    """Mark a message id for the catalogue; it is translated where it is shown."""
    return message


def select_locale() -> str:
    """Babel's locale selector: the best of Accept-Language, Arabic when none fits."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return _best_language(request.environ.get("HTTP_ACCEPT_LANGUAGE", ""))


@lru_cache(maxsize=256)
def _best_language(header: str) -> str:
    """The language for an `Accept-Language` header, worked out once per header seen: clients
    send a handful of distinct ones, and parsing it is a regex pass on every request."""
    return parse_accept_header(header, LanguageAccept).best_match(LANGUAGES) or DEFAULT_LANGUAGE


def current_language() -> str:
    locale = get_locale() if has_request_context() else None
    return str(locale.language) if locale else DEFAULT_LANGUAGE


def in_language(language: str, message: str, **params) -> str:
    """`message` translated into `language`, whatever the current request asked for."""
    with force_locale(language):
        return gettext(message, **params) if params else gettext(message)


@cache
def _templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Message ids that take `{name}` arguments, each as a regex that recovers the arguments."""
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle)
    patterns = []
    for message in catalog:
        msgid = message.id
        if not isinstance(msgid, str) or "{" not in msgid:
            continue
        pattern = re.escape(msgid)
        for name in re.findall(r"\{(\w+)\}", msgid):
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+?)", 1)
        patterns.append((re.compile(f"^{pattern}$"), msgid))
    return tuple(patterns)


def translate_message(message: str) -> str:
    """Translate a message that may already be formatted, into the caller's language."""
    translated = gettext(message)
    if translated != message or current_language() == "en":
        return translated
    for pattern, msgid in _templates():
        match = pattern.match(message)
        if match:
            return _format(gettext(msgid), match.groupdict())
    current_app.logger.warning("untranslated message", extra={"msgid": message})
    return message


def _format(template: str, params: dict[str, str]) -> str:
    for name, value in params.items():
        template = template.replace("{" + name + "}", value)
    return template
