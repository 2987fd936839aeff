"""JSON the parser takes but we do not: nesting past 32 levels, NaN and Infinity, numbers
beyond what JSON keeps across implementations. One loading place answers for every view."""

from __future__ import annotations

import pytest

from tests.factories import applicant_headers


def _post(client, text, headers=None, path="/api/v1/applications"):
    return client.post(
        path, data=text.encode(), content_type="application/json", headers=headers or {}
    )


def _malformed(response):
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "malformed_json"
    return response.get_json()


def _nested(depth):
    """A body `depth` objects deep: the outer object, then `details` and its nested objects."""
    inner = '{"a":' * (depth - 1) + "1" + "}" * (depth - 1)
    return '{"service":"ABG-INQUIRY","details":' + inner + "}"


@pytest.mark.parametrize(
    "text",
    [
        '{"a":' * 5000 + "1" + "}" * 5000,  # 5,000 nested objects
        "[" * 100_000 + "]" * 100_000,  # 200 KB of [[[...]]]
        "[" * 40 + "]" * 40,  # deeper than the cap, within the interpreter's stack
    ],
)
def test_deep_nesting_is_400(client, text):
    _, applicant = applicant_headers(client)
    body = _malformed(_post(client, text, applicant))
    assert "32" in body["detail"]


def test_the_depth_cap_is_32_levels(client):
    _, applicant = applicant_headers(client)
    assert _post(client, _nested(32), applicant).status_code == 201
    _malformed(_post(client, _nested(33), applicant))


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_nan_and_infinity_are_400(client, number):
    _, applicant = applicant_headers(client)
    _malformed(_post(client, '{"service":"ABG-INQUIRY","details":{"n":' + number + "}}", applicant))


def test_refused_json_before_authentication_too(client):
    _malformed(_post(client, '{"email": NaN}', path="/api/v1/auth/login"))


def test_integers_beyond_53_bits_are_422_naming_the_field(client):
    _, applicant = applicant_headers(client)
    response = _post(
        client, '{"service":"ABG-INQUIRY","details":{"n":[9007199254740992]}}', applicant
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.get_json()["errors"]] == ["details.n.0"]
    ok = _post(client, '{"service":"ABG-INQUIRY","details":{"n":9007199254740991}}', applicant)
    assert ok.status_code == 201


def test_a_very_long_number_is_400_not_500(client):
    _malformed(_post(client, '{"email": ' + "9" * 5000 + "}", path="/api/v1/auth/login"))
