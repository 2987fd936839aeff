"""Reference data of a new installation, loaded by `flask seed` and by the tests, and the demo
staff accounts `make run` offers (`flask seed --demo`)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from app.authorities.seed import seed_authorities
from app.calendar.services import ensure_calendar_tables
from app.catalogue.seed import seed_catalogue
from app.config import SETTINGS
from app.positions.seed import seed_positions


def seed_reference_data() -> None:
    """Idempotent: creates what is missing, updates what changed; the caller commits."""
    seed_authorities()
    ensure_calendar_tables()
    seed_positions()  # before the catalogue: its new services name them
    seed_catalogue()
    from cases.seed import seed_case_services  # the case kinds' services (issue 14)

    seed_case_services()
    from app.accounts.terms_seed import seed_terms  # terms of use and privacy (issue 16)

    seed_terms()


DEMO_AUTHORITY = "NBG"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    department: str
    email: str
    name: str
    # Fixed and printed: a demo is for trying the roles out, so its passwords are the same on
    # every machine and can be looked up again; they are pass phrases that meet the password
    # rules, and `flask seed --demo` refuses any database but the embedded default unless told.
    password: str
    civil_id: str
    phone: str


_DEMO_ROWS = (
    ("admin", "it", "admin", "Salim Al Harthy", "harbour lamp keeper 1502"),
    ("inspector", "licensing", "inspector", "Maryam Al Rawahi", "falaj water survey 2031"),
    # Two finance officers: refunds above REFUND_SECOND_APPROVAL_BAISA need a second approver.
    ("finance", "finance", "finance1", "Khalid Al Saadi", "amber ledger morning 4417"),
    ("finance", "finance", "finance2", "Huda Al Kindi", "second key ledger 8830"),
    ("department_head", "licensing", "head", "Nasser Al Busaidi", "date palm council 6129"),
)  # fmt: skip
DEMO_STAFF = tuple(
    DemoAccount(
        role,
        department,
        f"demo.{mailbox}@example.om",
        name,
        password,
        f"7000000{n}",
        f"+9689000000{n}",
    )
    for n, (role, department, mailbox, name, password) in enumerate(_DEMO_ROWS, start=1)
)


def is_embedded_database(database_url: str) -> bool:
    """True for the embedded default database (SQLite under `instance/`), the only one on which
    demo accounts with published passwords may be made without being told it is not production."""
    default = next(s.default for s in SETTINGS if s.name == "DATABASE_URL")
    return database_url == default


def seed_demo_staff() -> list[tuple[DemoAccount, str]]:
    """Create the demo staff of DEMO_AUTHORITY that are missing; idempotent. Answers each account
    with what happened: "created", "exists" (with its demo password) or "password changed" (since
    it was seeded; it is left as it is). Accounts go through the same validation and service as
    `flask users create-staff`, so the password rules apply to them too. The caller commits."""
    from app.accounts.models import User
    from app.accounts.passwords import verify_password
    from app.accounts.schemas import StaffInputSchema
    from app.accounts.services import create_staff_account
    from app.authorities.models import Authority
    from app.extensions import db

    authority = db.session.scalar(sa.select(Authority).where(Authority.code == DEMO_AUTHORITY))
    outcome: list[tuple[DemoAccount, str]] = []
    for account in DEMO_STAFF:
        found = db.session.scalar(sa.select(User).where(User.email == account.email))
        if found is not None:
            unchanged = verify_password(found.password_hash, account.password)
            outcome.append((account, "exists" if unchanged else "password changed"))
            continue
        data = StaffInputSchema().load(
            {
                "email": account.email,
                "name": account.name,
                "civil_id": account.civil_id,
                "phone": account.phone,
                "password": account.password,
                "role": account.role,
                "department": account.department,
                "preferred_language": "en",
            }
        )
        create_staff_account(authority.id, data, "en")
        outcome.append((account, "created"))
    return outcome
