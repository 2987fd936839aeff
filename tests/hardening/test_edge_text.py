"""Text is checked once at the edge: a lone surrogate, NUL or another control character is
422 naming the field, before any view runs, so nothing half-written stays behind."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from app.accounts.models import User
from app.extensions import db
from licensing.models import Application, ApplicationMessage
from tests.factories import applicant_data, applicant_headers, staff_headers


def _raw(client, path, text, headers=None, method="post"):
    """Send `text` as the JSON body byte for byte (escapes such as \\ud800 stay escapes)."""
    return getattr(client, method)(
        path, data=text.encode(), content_type="application/json", headers=headers or {}
    )


def _refused(response, field):
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "validation_failed"
    assert field in [e["field"] for e in body["errors"]], body["errors"]
    return body


def _count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_lone_surrogate_in_details_is_refused_and_no_draft_is_kept(app, client):
    _, applicant = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "ABG")

    response = _raw(
        client,
        "/api/v1/applications",
        '{"service":"ABG-INQUIRY","details":{"s":"\\ud800"}}',
        applicant,
    )

    body = _refused(response, "details.s")
    assert body["errors"][0]["pointer"] == "/details/s"
    assert _count(app, Application) == 0
    assert client.get("/api/v1/applications", headers=applicant).status_code == 200
    assert client.get("/api/v1/applications", headers=inspector).status_code == 200


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ('{"service":"ABG-INQUIRY","details":{"a":[1,{"b":"x\\u0000y"}]}}', "details.a.1.b"),
        ('{"service":"ABG-INQUIRY","details":{"bell":"\\u0007"}}', "details.bell"),
        ('{"service":"ABG-INQUIRY","details":{"cr":"a\\rb"}}', "details.cr"),
        ('{"service":"ABG-INQUIRY","details":{"k\\u0000":"v"}}', "details.k\\u0000"),
        ('{"service":"ABG-INQUIRY","details":{"\\udfff":1}}', "details.\\udfff"),
    ],
)
def test_control_characters_and_surrogates_at_any_depth_and_in_keys(app, client, value, field):
    _, applicant = applicant_headers(client)
    _refused(_raw(client, "/api/v1/applications", value, applicant), field)
    assert _count(app, Application) == 0


def test_tab_newline_crlf_and_bidi_in_free_text_are_kept(app, client):
    _, applicant = applicant_headers(client)
    text = "سطر أول\r\nسطر\tثانٍ\n\u202bمقتبس\u202c"
    response = client.post(
        "/api/v1/applications",
        json={"service": "ABG-INQUIRY", "details": {"purpose": text}},
        headers=applicant,
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["details"]["purpose"] == text


@pytest.mark.parametrize(
    "name",
    [
        "Salim \ud800",
        "Salim\x00",
        "Salim\x1b[31m",
        "Sa\u202elim",
        "\u2067Salim\u2069",
        "Sa\u200flim",
    ],
)
def test_registration_name_is_refused_and_no_account_is_made(app, client, name):
    data = applicant_data(name=name)
    response = _raw(client, "/api/v1/auth/register", json.dumps(data))
    _refused(response, "name")
    assert _count(app, User) == 0


def test_arabic_names_need_no_direction_controls(app, client):
    response = client.post(
        "/api/v1/auth/register", json=applicant_data(name="سالم بن سعيد الحارثي")
    )
    assert response.status_code == 201, response.get_json()


def test_a_message_body_with_a_surrogate_is_refused_and_the_thread_still_reads(app, client):
    _, applicant = applicant_headers(client)
    created = client.post(
        "/api/v1/applications",
        json={"service": "ABG-INQUIRY", "details": {"purpose": "Opening hours"}},
        headers=applicant,
    ).get_json()
    thread = f"/api/v1/applications/{created['id']}/messages"

    _refused(_raw(client, thread, '{"body":"When? \\udc00"}', applicant), "body")

    assert _count(app, ApplicationMessage) == 0
    assert client.get(thread, headers=applicant).status_code == 200


def test_nul_in_a_filter_and_in_a_login(client):
    _refused(client.get("/api/v1/services?q=%00"), "q")
    _refused(client.get("/api/v1/services?authority=NB%00G"), "authority")
    _refused(client.get("/api/v1/services?a%00b=1"), "a\\u0000b")
    login = _raw(client, "/api/v1/auth/login", '{"email":"a\\u0000@x.om","password":"p"}')
    _refused(login, "email")


def test_nul_in_a_path_parameter(client):
    _refused(client.get("/api/v1/licences/NBG%00-L"), "number")
    _refused(client.get("/api/v1/services/NBG%00"), "code")


@pytest.mark.parametrize(
    "header", ["Accept-Language", "X-Request-ID", "Idempotency-Key", "Authorization"]
)
def test_control_characters_in_the_headers_we_read(client, header):
    _refused(client.get("/api/v1/services", headers={header: "en\x00"}), header)


def test_a_row_written_before_the_edge_checked_input_does_not_break_the_queue(app, client):
    _, applicant = applicant_headers(client)
    _, inspector = staff_headers(app, client, "inspector", "ABG")
    created = client.post(
        "/api/v1/applications",
        json={"service": "ABG-INQUIRY", "details": {"purpose": "fine"}},
        headers=applicant,
    ).get_json()
    with app.app_context():  # what an older release let through into a JSON column
        db.session.get(Application, created["id"]).details = {"purpose": "bad \ud800"}
        db.session.commit()

    for headers in (applicant, inspector):
        listed = client.get("/api/v1/applications", headers=headers)
        assert listed.status_code == 200
        assert listed.get_json()[0]["details"]["purpose"] == "bad \ufffd"
