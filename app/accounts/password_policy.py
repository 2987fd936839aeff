"""Which passwords we accept (NIST SP 800-63B, 5.1.1): length, not a known password, not the
user's own details. No composition rules (a digit, a capital…): they make passwords harder to
remember, not harder to guess.

The list of known passwords is the 30,000 most common passwords of leaked password sets, as
shipped by the `zxcvbn` package (its `passwords` frequency list): no network at run time.
"""

from __future__ import annotations

import re
from functools import cache

from app.i18n import N_

MIN_LENGTH = 12
MAX_LENGTH = 128
# A listed password with digits or punctuation added ("iloveyou2024!") is as guessable.
_TRAILING = re.compile(r"[\d\W_]+$")
_SEPARATORS = re.compile(r"[\s\-_.]+")

TOO_SHORT = N_("Use at least 12 characters in the password; a phrase of a few words is fine.")
TOO_LONG = N_("Use at most 128 characters in the password.")
TOO_COMMON = N_("This password is in lists of common or leaked passwords; choose another.")
TOO_REPETITIVE = N_("This password repeats too few characters; choose another.")
PERSONAL = N_("The password must not contain your e-mail address, civil ID or mobile number.")


@cache
def _known_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _is_known(password: str) -> bool:
    lowered = password.lower()
    squeezed = _SEPARATORS.sub("", lowered)
    candidates = {lowered, squeezed, _TRAILING.sub("", lowered), _TRAILING.sub("", squeezed)}
    known = _known_passwords()
    return any(c in known for c in candidates if c)


def _personal_parts(email: str | None, civil_id: str | None, phone: str | None) -> list[str]:
    parts = []
    if email:
        email = email.strip().lower()
        local = email.partition("@")[0]
        parts += [email] + ([local] if len(local) >= 4 else [])
    if civil_id:
        parts.append(civil_id.strip())
    if phone:
        digits = re.sub(r"\D", "", phone)
        parts.append(digits[-8:])  # the number as people type it, without +968
    return [p for p in parts if p]


def password_problem(
    password: str,
    *,
    email: str | None = None,
    civil_id: str | None = None,
    phone: str | None = None,
) -> str | None:
    """The message id saying why `password` is refused, or None when it is acceptable.

    Refused: shorter than 12 or longer than 128 characters; fewer than 4 different characters;
    a listed password (case, separators and trailing digits or symbols ignored); or containing
    the account's e-mail address (or its part before the @), civil ID or mobile number.
    """
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    if len(set(password)) < 4:
        return TOO_REPETITIVE
    if _is_known(password):
        return TOO_COMMON
    squeezed = re.sub(r"\s+", "", password.lower())
    if any(part in squeezed for part in _personal_parts(email, civil_id, phone)):
        return PERSONAL
    return None
