"""The suite's isolation itself (tests/transactions.py): what a test commits is undone at its end,
a rollback of the code under test returns to its own savepoint only, and a job's thread works on
the test's connection in its turn."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.catalogue.models import Service
from app.extensions import db
from tests.factories import applicant_data, register
from tests.transactions import rolled_back


def _users(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(User))


@pytest.mark.committed  # opens the rolled-back transaction itself, to look at it from outside
def test_what_a_test_commits_is_gone_after_it_and_the_catalogue_stays(app, client):
    with app.app_context():
        services = db.session.scalar(sa.select(sa.func.count()).select_from(Service))
    assert services > 0  # seeded once for the run
    before = _users(app)
    with rolled_back(app):
        first = register(client)
        # The same civil ID again: the service refuses it and rolls back, to its savepoint only.
        twin = applicant_data(civil_id=first["civil_id"])
        again = client.post("/api/v1/auth/register", json=twin)
        assert again.status_code == 409
        assert _users(app) == before + 1
        with app.app_context():
            db.session.execute(sa.delete(Service))  # a test may even empty the catalogue
            db.session.commit()
    assert _users(app) == before
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Service)) == services


@pytest.mark.committed
def test_a_job_thread_sees_the_tests_commits_and_its_work_is_undone_too(app, client, tmp_path):
    from jobs import enqueue

    marker = tmp_path / "seen"
    before = _users(app)
    with rolled_back(app) as joined:
        register(client)
        with app.app_context():
            enqueue("tests.jobs.tasks.count_users", str(marker))
            db.session.commit()
        assert joined.lend(app.extensions["jobs"].drain, 10)
        assert marker.read_text() == str(before + 1)  # run on its thread, on this connection
    assert _users(app) == before
