"""Logs: a traceback, however it reaches a log line, never holds a secret."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.logs import mask_text, mask_value
from tests.factories import PASSWORD, login, register

CIVIL_ID = "87654329"


def _fail_with_secrets(access_token: str) -> None:
    raise ValueError(
        f"login refused for {{'civil_id': '{CIVIL_ID}', 'password': '{PASSWORD}'}}; "
        f"token {access_token}"
    )


def test_an_exception_logged_with_its_traceback_is_masked(app, client, capsys):
    user = register(client, civil_id=CIVIL_ID)
    token = login(client, user["email"])["access_token"]
    with app.test_request_context():
        try:
            try:
                _fail_with_secrets(token)
            except ValueError as error:
                raise RuntimeError(f"password=hunter2-{CIVIL_ID}") from error
        except RuntimeError:
            app.logger.exception("login failed")
            logging.getLogger("jobs").warning("job failed; retrying", exc_info=True)
    logs = capsys.readouterr().err
    assert "Traceback" in logs and "_fail_with_secrets" in logs  # the traceback is still there
    assert "ValueError" in logs and "RuntimeError" in logs
    for secret in (CIVIL_ID, PASSWORD, token, "hunter2"):
        assert secret not in logs
    assert "[jwt]" in logs and "'password': [masked]" in logs and "password=[masked]" in logs


def test_a_traceback_cached_by_another_handler_is_masked_too(app, capsys):
    other = logging.Handler()
    other.emit = lambda record: logging.Formatter().format(record)  # caches record.exc_text
    root = logging.getLogger()
    root.handlers.insert(0, other)
    try:
        with app.app_context():
            try:
                raise ValueError(f"civil ID {CIVIL_ID}")
            except ValueError:
                app.logger.exception("failed", stack_info=True)
    finally:
        root.removeHandler(other)
    logs = capsys.readouterr().err
    assert "exc_info" in logs and "stack_info" in logs
    assert CIVIL_ID not in logs


def test_nested_extra_fields_are_masked(app, capsys):
    with app.app_context():
        app.logger.info(
            "payload", extra={"payload": {"user": {"password": "pw-1", "note": CIVIL_ID}}}
        )
    logs = capsys.readouterr().err
    assert "pw-1" not in logs and CIVIL_ID not in logs and '"password": "[masked]"' in logs


def test_a_database_error_never_quotes_its_parameters(app, capsys):
    email = "someone.private@example.om"
    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError) as caught:
            db.session.execute(sa.text("SELECT :email FROM no_such_table"), {"email": email})
        db.session.rollback()
        assert email not in str(caught.value)
        try:
            raise caught.value
        except sa.exc.DBAPIError:
            app.logger.exception("query failed")
    logs = capsys.readouterr().err
    assert "no_such_table" in logs and email not in logs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password=s3cret next", "password=[masked] next"),
        ('{"refresh_token": "abc.def"}', '{"refresh_token": [masked]}'),
        ("Authorization: Bearer abc123", "Authorization: [masked]"),
        ("card_number='4111'", "card_number=[masked]"),
        ("span=3 expand=4", "span=3 expand=4"),
    ],
)
def test_secret_pairs_in_text_are_masked(text, expected):
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "session 56640885-7d1a-456a-a30c-2ba121177b60",
            "session 56640885-7d1a-456a-a30c-2ba121177b60",
        ),
        ("id 12345678-1234-5678-9012-123456789012", "id 12345678-1234-5678-9012-123456789012"),
        ("call +968 91234567 now", "call +968 [number] now"),
        ("card 4242 4242 4242 4242.", "card [card]."),
        ("card 4242-4242-4242-4242", "card [card]"),
    ],
)
def test_numbers_are_masked_unless_part_of_a_longer_token(text, expected):
    assert mask_text(text) == expected


def test_mask_value_keeps_what_is_not_secret():
    assert mask_value({"status": 200, "items": ("a", CIVIL_ID)}) == {
        "status": 200,
        "items": ["a", "[number]"],
    }
