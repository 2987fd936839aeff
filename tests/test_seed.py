"""`flask seed --demo`: the demo staff `make run` offers, printed with their passwords, made only
on the embedded default database unless the caller says the database is not production."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from app.accounts.models import User
from app.accounts.passwords import hash_password
from app.extensions import db
from app.seed import is_embedded_database
from tests.factories import bearer, login

NOT_PRODUCTION = "--i-know-this-is-not-production"
# What the README promises: role, e-mail and password of each demo account of NBG.
DEMO = [
    ("admin", "demo.admin@example.om", "harbour lamp keeper 1502"),
    ("inspector", "demo.inspector@example.om", "falaj water survey 2031"),
    ("finance", "demo.finance1@example.om", "amber ledger morning 4417"),
    ("finance", "demo.finance2@example.om", "second key ledger 8830"),
    ("department_head", "demo.head@example.om", "date palm council 6129"),
]


def _seed(app, *args):
    return app.test_cli_runner().invoke(args=["seed", *args])


def _demo_rows(app):
    with app.app_context():
        rows = db.session.execute(
            sa.select(User.email, User.role, User.authority_id)
            .where(User.email.like("demo.%@example.om"))
            .order_by(User.id)
        ).all()
        db.session.remove()
        return rows


def test_demo_is_refused_on_a_database_that_is_not_the_embedded_default(app):
    result = _seed(app, "--demo")
    assert result.exit_code == 1
    assert NOT_PRODUCTION in result.output
    assert "seeded" not in result.output
    assert _demo_rows(app) == []


def test_demo_prints_each_account_and_its_password_and_they_log_in(app, client):
    result = _seed(app, "--demo", NOT_PRODUCTION)
    assert result.exit_code == 0, result.output
    lines = [line.split() for line in result.output.splitlines() if "@example.om" in line]
    assert [(role, email, " ".join(words)) for role, email, *words in lines] == DEMO
    assert [(email, role.value) for email, role, _ in _demo_rows(app)] == [
        (email, role) for role, email, _ in DEMO
    ]
    for role, email, password in DEMO:
        assert len(password) >= 12
        me = client.get("/api/v1/me", headers=bearer(login(client, email, password))).get_json()
        assert (me["role"], me["authority"]["code"]) == (role, "NBG")


def test_a_second_run_makes_no_duplicate_and_prints_the_same_accounts(app):
    first = _seed(app, "--demo", NOT_PRODUCTION)
    second = _seed(app, "--demo", NOT_PRODUCTION)
    assert second.exit_code == 0, second.output
    assert second.output == first.output
    assert len(_demo_rows(app)) == 5


def test_a_password_changed_since_is_not_printed_as_the_demo_one(app):
    _seed(app, "--demo", NOT_PRODUCTION)
    with app.app_context():  # no password-change endpoint yet: the row is changed as one would
        head = db.session.scalar(sa.select(User).where(User.email == "demo.head@example.om"))
        head.password_hash = hash_password("a new head key 7781")
        db.session.commit()
    output = _seed(app, "--demo", NOT_PRODUCTION).output
    line = next(line for line in output.splitlines() if "demo.head@example.om" in line)
    assert "date palm council 6129" not in line
    assert "(changed since seeded)" in line
    assert "falaj water survey 2031" in output


def test_only_the_default_sqlite_file_under_instance_is_the_embedded_database(tmp_path):
    default = Path(__file__).resolve().parents[1] / "instance" / "baladiya.sqlite3"
    assert is_embedded_database(f"sqlite:///{default}")
    assert not is_embedded_database(f"sqlite:///{tmp_path / 'baladiya.sqlite3'}")
    assert not is_embedded_database("sqlite:///instance/baladiya.sqlite3")
    assert not is_embedded_database("postgresql://baladiya@db.example.om/baladiya")
