"""Staff accounts from the command line: how the first admin of an authority is made."""

from __future__ import annotations

import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from tests.factories import login


def _create(app, **overrides):
    args = {
        "--authority": "nbg",
        "--department": "it",
        "--role": "admin",
        "--email": "admin@nbg.gov.om",
        "--name": "Salim Al Harthy",
        "--civil-id": "11223344",
        "--phone": "+96899887766",
        "--password": "a strong pass 9",
    }
    args.update(overrides)
    flat = [part for pair in args.items() for part in pair]
    return app.test_cli_runner().invoke(args=["users", "create-staff", *flat])


def test_cli_creates_an_admin_who_can_log_in(app, client):
    result = _create(app)
    assert result.exit_code == 0, result.output
    assert "created admin" in result.output
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@nbg.gov.om"))
        assert admin.authority.code == "NBG" and admin.department.code == "it"
    me = client.get(
        "/api/v1/me",
        headers={
            "Authorization": "Bearer "
            + login(client, "admin@nbg.gov.om", "a strong pass 9")["access_token"]
        },
    )
    assert me.get_json()["role"] == "admin"


def test_cli_refuses_bad_input_and_duplicates(app):
    assert _create(app, **{"--authority": "ZZZ"}).exit_code != 0
    assert "invalid" in _create(app, **{"--phone": "123"}).output
    assert _create(app).exit_code == 0
    again = _create(app, **{"--email": "other@nbg.gov.om"})
    assert again.exit_code != 0 and "duplicate_civil_id" in again.output
