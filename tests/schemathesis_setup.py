"""What the schemathesis runs share: the schema, the callers (real users with real tokens, made
the way tests/factories.py makes them) and the checks."""

from __future__ import annotations

import os

import schemathesis
import sqlalchemy as sa
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.accounts.models import AuthSession, Role, User
from app.catalogue.seed import seed_catalogue
from app.extensions import db
from app.maintenance.models import MaintenanceWindow
from tests.factories import bearer, login, register, staff_headers
from tests.licensing.helpers import LEASE, PDF, PNG, upload

# Anonymous, then every role there is (a role added later is fuzzed without a change here).
CALLERS = (None, *(role.value for role in Role))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SEED = 20261211


def open_schema(app, *, coverage: bool = False, stateful: bool = False):
    """The document the app serves, fuzzed in-process; a fixed seed, so every run is the same.
    `coverage`: also schemathesis' coverage phase (boundary and invalid values of every
    parameter, some 60 cases an operation: `make fuzz`, too slow for every `make test`)."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"deterministic": True, "database": "none"},
            "phases": {
                "coverage": {"enabled": coverage},
                "stateful": {
                    "enabled": stateful,
                    "inference": {"algorithms": ["location-headers", "dependency-analysis"]},
                },
            },
        }
    )
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app, config=config)


def seed_world(app, client, tmp_path, applicant: dict[str, str] | None = None) -> None:
    """The catalogue (the suite clears it after each test), documents in a folder of the
    test's own, and records the fuzzer can reach: three applications of NBG (a complaint with
    a message, a certificate draft, a lease draft with a PDF and a PNG document) made by
    `applicant` (the caller) or by another applicant, so that staff of NBG see them too."""
    app.config["DOCUMENT_STORAGE_PATH"] = str(tmp_path / "documents")
    with app.app_context():
        seed_catalogue()
        db.session.commit()
        db.session.remove()
    headers = applicant or bearer(login(client, register(client)["email"]))
    for service in ("NBG-COMPLAINT", "NBG-CERT-TO-WHOM-IT-MAY-CONCERN"):
        made = client.post("/api/v1/applications", json={"service": service}, headers=headers)
        assert made.status_code == 201, made.get_json()
    first = made.get_json()["id"] - 1
    said = client.post(
        f"/api/v1/applications/{first}/messages", json={"body": "Hello"}, headers=headers
    )
    assert said.status_code == 201, said.get_json()
    lease = client.post("/api/v1/leases", json=LEASE, headers=headers)
    assert lease.status_code == 201, lease.get_json()
    for code, content, name in (("lease_contract", PDF, "lease.pdf"), ("title_deed", PNG, "d.png")):
        kept = upload(client, headers, lease.get_json()["id"], code, content, name)
        assert kept.status_code == 201, kept.get_json()


class Callers:
    """One account per role, logged in; made again when a fuzzed call ended its session, took
    its role away or deactivated it (logout, `PATCH /staff/{id}`), so that every case is sent
    with a working token of the role it claims."""

    def __init__(self, app, client, role: str | None) -> None:
        self.app, self.client, self.role = app, client, role
        self.account: tuple[int, str] | None = None
        self.cases = 0

    def headers(self) -> dict[str, str]:
        if self.role is None:
            return {}
        if self.account is None or not self._still_valid(self.role, *self.account):
            self.account = self._make(self.role)
        return bearer(self.account[1])

    def report(self, name: str, seconds: float) -> None:
        """With `SCHEMATHESIS_REPORT` set (make fuzz), append the cases sent to that file."""
        if os.environ.get("SCHEMATHESIS_REPORT"):
            with open(os.environ["SCHEMATHESIS_REPORT"], "a") as report:
                report.write(f"{name}: {self.cases} calls in {seconds:.0f} s\n")

    def undo_maintenance(self, case, response) -> None:
        """End at once a maintenance window the fuzzer announced: while it is in force every
        write answers 503 `maintenance` (documented, and right), which would hide the rest."""
        if case.operation.path == "/api/v1/announcements" and response.status_code == 201:
            with self.app.app_context():
                db.session.execute(sa.delete(MaintenanceWindow))
                db.session.commit()
                db.session.remove()

    def _make(self, caller: str) -> tuple[int, str]:
        if caller == "applicant":
            user = register(self.client)
            return user["id"], login(self.client, user["email"])["access_token"]
        staff, headers = staff_headers(self.app, self.client, caller)
        return staff["id"], headers["Authorization"].removeprefix("Bearer ")

    def _still_valid(self, caller: str, user_id: int, token: str) -> bool:
        with self.app.app_context():
            user = db.session.get(User, user_id)
            live = db.session.scalar(
                sa.select(sa.func.count())
                .select_from(AuthSession)
                .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
            )
            valid = user is not None and user.is_active and user.role.value == caller and live
            db.session.remove()
            return bool(valid)
