"""Refresh token rotation with reuse detection: a swapped token presented again ends the session."""

from __future__ import annotations

import json
import threading

import pytest
import sqlalchemy as sa

from app.audit import AuditEntry
from app.extensions import db
from tests.factories import bearer, login, register


def _refresh(client, token: str):
    return client.post("/api/v1/auth/refresh", json={"refresh_token": token})


def _me(client, tokens) -> int:
    return client.get("/api/v1/me", headers=bearer(tokens)).status_code


def test_reusing_a_swapped_refresh_token_ends_the_whole_session(app, client, capsys, monkeypatch):
    monkeypatch.setitem(app.config, "REFRESH_REUSE_GRACE_SECONDS", 0)
    user = register(client)
    first = login(client, user["email"])
    other_device = login(client, user["email"])
    # The thief refreshes first with the stolen R0 and holds R1 and a fresh access token.
    stolen = _refresh(client, first["refresh_token"]).get_json()
    assert _me(client, stolen) == 200
    capsys.readouterr()

    # The owner's client presents R0 again: reuse.
    reused = _refresh(client, first["refresh_token"])
    assert reused.status_code == 401
    assert reused.get_json()["code"] == "invalid_refresh_token"

    # The whole session is over: the thief's access token and refresh token too.
    assert _me(client, stolen) == 401
    assert _me(client, first) == 401
    assert _refresh(client, stolen["refresh_token"]).status_code == 401
    # Another session of the same account is not touched.
    assert _me(client, other_device) == 200

    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "security.refresh_token_reused")
        ).all()
    assert len(rows) == 1
    assert rows[0].subject_type == "auth_session"
    assert rows[0].after["user_id"] == user["id"] and rows[0].after["revoked"] is True
    session_id = rows[0].subject_id

    logs = capsys.readouterr().err
    warning = next(
        json.loads(line) for line in logs.splitlines() if "refresh token presented again" in line
    )
    assert warning["level"] == "WARNING"
    assert (warning["user_id"], warning["session_id"]) == (user["id"], session_id)
    for token in (first["refresh_token"], stolen["refresh_token"]):
        assert token not in logs


def test_an_older_token_is_reuse_even_right_after_its_swap(app, client):
    user = register(client)
    r0 = login(client, user["email"])
    r1 = _refresh(client, r0["refresh_token"]).get_json()
    r2 = _refresh(client, r1["refresh_token"]).get_json()
    # R0 is not the token swapped last (R1 is): no grace for it, within a second or not.
    assert _refresh(client, r0["refresh_token"]).status_code == 401
    assert _me(client, r2) == 401
    assert _refresh(client, r2["refresh_token"]).status_code == 401


def test_two_tabs_refreshing_at_once_keep_the_session(app, client, monkeypatch):
    user = register(client)
    r0 = login(client, user["email"])
    winner = _refresh(client, r0["refresh_token"])
    assert winner.status_code == 200
    # The second tab presents the same R0 within the grace: refused, and no new tokens...
    loser = _refresh(client, r0["refresh_token"])
    assert loser.status_code == 401
    assert loser.get_json()["code"] == "invalid_refresh_token"
    # ...but the session goes on with the winner's tokens.
    assert _me(client, winner.get_json()) == 200
    r2 = _refresh(client, winner.get_json()["refresh_token"])
    assert r2.status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1
    # Past the grace the same presentation is reuse.
    monkeypatch.setitem(app.config, "REFRESH_REUSE_GRACE_SECONDS", 0)
    assert _refresh(client, winner.get_json()["refresh_token"]).status_code == 401
    assert _me(client, r2.get_json()) == 401


@pytest.mark.postgres_only
@pytest.mark.committed  # a race: each thread its own connection, as each request has
def test_concurrent_refreshes_with_one_token_rotate_once(app, client, backend_name):
    assert backend_name == "postgresql"  # row locks
    user = register(client)
    r0 = login(client, user["email"])["refresh_token"]
    barrier, answers = threading.Barrier(4), []

    def refresh():
        barrier.wait()
        answers.append(_refresh(app.test_client(), r0))

    threads = [threading.Thread(target=refresh) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 401, 401, 401]
    winner = next(a for a in answers if a.status_code == 200).get_json()
    assert _me(client, winner) == 200  # the losers were within the grace: the session lives
