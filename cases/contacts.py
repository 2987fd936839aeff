"""Contacts without an account: an anonymous inquirer, a walk-in filed for by staff.

The outbox writes a notice for an account (`app.notifications.services.notify`), and reads the
address from it when it sends. A person without one gets a *contact account*: an inactive
applicant account (no password, it cannot sign in) holding the name, e-mail and phone given,
that only receives the case's notices by the channels the contact gave (never in-app: nobody
reads that inbox). An e-mail address an account already has is that account's: its notices go
there, which is where the contact asked them to go.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa

from app.accounts.models import AccountKind, Role, User
from app.extensions import db
from app.notifications.models import Channel

# No password hash ever equals it: the account cannot sign in.
UNUSABLE_PASSWORD = "!"  # noqa: S105
NO_ADDRESS_DOMAIN = "contact.invalid"  # RFC 2606: an address nothing is ever sent to


def contact_account(name: str, email: str | None, phone: str | None, language: str) -> User:
    """The account the contact's notices go to: the one with this e-mail, or a new contact
    account."""
    if email:
        found = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.lower()))
        if found is not None:
            return found
    marker = secrets.token_hex(5)
    user = User(
        kind=AccountKind.INDIVIDUAL,
        role=Role.APPLICANT,
        civil_id=f"C{secrets.randbelow(10**11):011d}",
        name=name,
        email=email or f"contact-{marker}@{NO_ADDRESS_DOMAIN}",
        phone=phone or "",
        preferred_language=language,
        password_hash=UNUSABLE_PASSWORD,
        is_active=False,
    )
    db.session.add(user)
    db.session.flush()
    return user


def channels_of(email: str | None, phone: str | None) -> tuple[Channel, ...]:
    """The channels a contact gave: e-mail, SMS or both."""
    return tuple(c for c, given in ((Channel.EMAIL, email), (Channel.SMS, phone)) if given)
