"""A licence for a commercial registration is the business's: only the business account whose
CR number it is may apply for one, renew or amend it (the municipal and temporary licences carry
`cr_number` in their details). An individual, or a business naming another CR, is refused."""

from __future__ import annotations

from typing import Any

from app.accounts.models import AccountKind, User
from app.errors import ValidationFailed
from app.i18n import N_

NOT_YOUR_CR = N_(
    "This is not your account's commercial registration: a licence for a CR is applied for by "
    "the business account registered with that CR number."
)


def check_commercial_registration(applicant: User, details: dict[str, Any]) -> None:
    """ValidationFailed on `cr_number` when the details name a CR that is not the applicant's
    business's own; details without one are left alone."""
    cr_number = details.get("cr_number")
    if cr_number is None:
        return
    own = applicant.cr_number if applicant.kind is AccountKind.BUSINESS else None
    if own is None or own.strip() != str(cr_number).strip():
        raise ValidationFailed({"cr_number": [NOT_YOUR_CR]})
