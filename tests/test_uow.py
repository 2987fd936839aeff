"""The unit of work through the real app: a view's work is kept exactly when it answers below
400 (or when it said `keep_on_refusal()`), a failed commit answers 409, a job's work is kept when
it returns, and an outside call is refused while a transaction is open."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Blueprint

from app import uow
from app.access import public_endpoint
from app.errors import Conflict
from app.events import DomainEvent, EventDelivery
from app.extensions import db
from jobs import enqueue
from jobs.runner import execute
from tests.conftest import build_app, clear_tables

views = Blueprint("uow_test", __name__, url_prefix="/test-uow")


def _write(label: str) -> DomainEvent:
    row = DomainEvent(name="test.uow", payload={"label": label})
    db.session.add(row)
    db.session.flush()
    return row


@views.post("/kept")
@public_endpoint
def kept():
    _write("kept")
    return {"ok": True}


@views.post("/refused")
@public_endpoint
def refused():
    _write("refused")
    raise Conflict(code="test_refused")


@views.post("/answered-400")
@public_endpoint
def answered_400():
    _write("answered-400")
    return {"ok": False}, 400


@views.post("/kept-on-refusal")
@public_endpoint
def kept_on_refusal():
    _write("kept-on-refusal")
    uow.keep_on_refusal()
    raise Conflict(code="test_refused")


@views.post("/commit-fails")
@public_endpoint
def commit_fails():
    event = _write("commit-fails")
    # the same (event, handler) twice: the unique key refuses it when the unit of work commits
    db.session.add(EventDelivery(event_id=event.id, handler="twice"))
    db.session.add(EventDelivery(event_id=event.id, handler="twice"))
    return {"ok": True}


@views.post("/enqueues-then-refuses")
@public_endpoint
def enqueues_then_refuses():
    enqueue("tests.test_uow.write_job", "from-a-refused-request")
    raise Conflict(code="test_refused")


@views.post("/enqueues")
@public_endpoint
def enqueues():
    enqueue("tests.test_uow.write_job", "from-a-request")
    return {"ok": True}


def write_job(label: str) -> str:
    _write(label)
    return "written"


def failing_job(label: str) -> None:
    _write(label)
    raise RuntimeError("the job fails after writing")


@pytest.fixture(scope="module")
def uow_app(database_url):
    """A fresh app with the test views above, wrapped like every view of the app."""
    app = build_app(database_url)
    app.register_blueprint(views)
    uow.init_unit_of_work(app)
    return app


@pytest.fixture
def client(uow_app):
    yield uow_app.test_client()
    uow_app.extensions["jobs"].drain()
    clear_tables(uow_app)


def _labels(app) -> list[str]:
    """What is committed, read on a connection of its own."""
    with app.app_context(), db.engine.connect() as connection:
        rows = connection.execute(sa.select(DomainEvent.payload).order_by(DomainEvent.id))
        return [payload["label"] for (payload,) in rows]


def test_a_view_that_answers_200_commits(uow_app, client):
    assert client.post("/test-uow/kept").status_code == 200
    assert _labels(uow_app) == ["kept"]


def test_a_refused_view_leaves_nothing(uow_app, client):
    answer = client.post("/test-uow/refused")
    assert answer.status_code == 409 and answer.get_json()["code"] == "test_refused"
    assert client.post("/test-uow/answered-400").status_code == 400
    assert _labels(uow_app) == []


def test_a_refusal_that_keeps_its_record(uow_app, client):
    answer = client.post("/test-uow/kept-on-refusal")
    assert answer.status_code == 409 and answer.get_json()["code"] == "test_refused"
    assert _labels(uow_app) == ["kept-on-refusal"]
    # the mark is for that refusal only: the next refused request keeps nothing
    assert client.post("/test-uow/refused").status_code == 409
    assert _labels(uow_app) == ["kept-on-refusal"]


def test_a_commit_that_fails_answers_409(uow_app, client):
    answer = client.post("/test-uow/commit-fails")
    assert answer.status_code == 409
    assert answer.content_type == "application/problem+json"
    assert answer.get_json()["code"] == "conflict"
    assert _labels(uow_app) == []
    assert client.post("/test-uow/kept").status_code == 200  # the session is usable again
    assert _labels(uow_app) == ["kept"]


def test_a_job_is_queued_only_when_its_request_commits(uow_app, client):
    assert client.post("/test-uow/enqueues-then-refuses").status_code == 409
    assert client.post("/test-uow/enqueues").status_code == 200
    assert uow_app.extensions["jobs"].drain()
    assert _labels(uow_app) == ["from-a-request"]


def test_a_job_commits_when_it_returns_and_rolls_back_when_it_raises(uow_app, client):
    with uow_app.app_context():
        assert execute("tests.test_uow.write_job", "job-returned") == "written"
        with pytest.raises(RuntimeError):
            execute("tests.test_uow.failing_job", "job-raised")
    assert _labels(uow_app) == ["job-returned"]


def test_an_outside_call_is_refused_inside_a_transaction(uow_app, client):
    with uow_app.app_context():
        uow.assert_no_transaction()  # nothing open yet
        db.session.scalar(sa.select(sa.func.count(DomainEvent.id)))
        with pytest.raises(uow.TransactionOpen):
            uow.assert_no_transaction("a gateway call")
        uow.release()  # it only read: released
        uow.assert_no_transaction("a gateway call")
        with uow.transaction():
            _write("recorded")
        uow.assert_no_transaction("a gateway call")  # committed: nothing open
    assert _labels(uow_app) == ["recorded"]


@pytest.mark.parametrize("how", ["pending", "flushed", "statement"])
def test_release_refuses_a_transaction_that_wrote(uow_app, client, how):
    with uow_app.app_context():
        if how == "pending":
            db.session.add(DomainEvent(name="test.uow", payload={"label": how}))
        elif how == "flushed":
            _write(how)
        else:
            db.session.execute(sa.insert(DomainEvent).values(name="test.uow", payload={}))
        with pytest.raises(uow.TransactionOpen):
            uow.release()
        uow.rollback()
        uow.release()  # after the rollback there is nothing to refuse
    assert _labels(uow_app) == []


def test_a_transaction_block_rolls_back_unless_told_to_keep(uow_app, client):
    with uow_app.app_context():
        with pytest.raises(Conflict), uow.transaction():
            _write("refused")
            raise Conflict()
        with pytest.raises(Conflict), uow.transaction():
            _write("kept")
            uow.keep_on_refusal()
            raise Conflict()
    assert _labels(uow_app) == ["kept"]
