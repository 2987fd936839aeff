"""A view marked `@reads_only` (app/reads.py) runs in autocommit: no transaction around its
statements; the connection goes back to the pool in its ordinary mode for the next request;
a write attempted in such a request is refused."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from app.extensions import db
from app.reads import READS_ONLY, WriteInReadOnlyRequest
from licensing.models import ApplicationMessage
from tests.factories import applicant_headers
from tests.licensing.helpers import LEASE


def _in_autocommit(dbapi_connection) -> bool:
    if hasattr(dbapi_connection, "autocommit"):  # psycopg
        return dbapi_connection.autocommit
    return dbapi_connection.isolation_level is None  # sqlite3 (Python 3.11)


@pytest.mark.committed
def test_the_hot_read_runs_in_autocommit_and_the_next_request_does_not(app, client):
    _, owner = applicant_headers(client)
    created = client.post("/api/v1/leases", json=LEASE, headers=owner).get_json()
    with app.app_context():
        engine = db.engine
    seen: list[tuple[str, bool]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append((statement.split()[0], _in_autocommit(conn.connection.dbapi_connection)))

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/api/v1/applications/{created['id']}", headers=owner).status_code == 200
        read = list(seen)
        seen.clear()
        posted = client.post(
            f"/api/v1/applications/{created['id']}/messages", json={"body": "Hello"}, headers=owner
        )
        assert posted.status_code == 201
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert read and all(autocommit for _, autocommit in read), read
    assert seen and not any(autocommit for _, autocommit in seen), seen


def test_a_write_in_a_read_only_request_is_refused(app_ctx):
    session = db.session()
    session.info[READS_ONLY] = True
    session.add(ApplicationMessage(application_id=1, author_id=1, author_role="x", body="x"))
    with pytest.raises(WriteInReadOnlyRequest):
        session.flush()
    session.expunge_all()
    session.info.pop(READS_ONLY)
