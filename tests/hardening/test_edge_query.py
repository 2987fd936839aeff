"""The query string and the headers we read, as the server hands them over: a raw control
character or a lone CR is refused whether or not it came percent-encoded, a direction control
only where a name or a filter is expected."""

from __future__ import annotations

import pytest

PATH = "/api/v1/services"


def _get(client, query: str, **headers):
    return client.get(PATH, headers=headers, environ_overrides={"QUERY_STRING": query})


def _refused_field(response) -> list[str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "validation_failed"
    return [e["field"] for e in body["errors"]]


@pytest.mark.parametrize(
    "query", ["family=\x01lease", "family=lease\r", "family=%01lease", "family=lease%0D"]
)
def test_a_control_character_in_a_filter_is_refused_raw_or_encoded(client, query):
    assert _refused_field(_get(client, query)) == ["family"]


def test_a_control_character_in_a_parameter_name_is_refused(client):
    assert _refused_field(_get(client, "fam\x07ily=lease")) == ["fam\\u0007ily"]


def test_a_direction_mark_is_refused_in_a_filter_and_kept_in_search_text(client):
    assert _refused_field(_get(client, "family=%E2%80%AElease")) == ["family"]
    assert _get(client, "q=%E2%80%AB%D8%A5%D9%8A%D8%AC%D8%A7%D8%B1").status_code == 200


def test_crlf_and_plain_queries_pass(client):
    assert _get(client, "page=1&page_size=5").status_code == 200
    assert _get(client, "q=a%0D%0Ab").status_code == 200  # a line break is text


def test_a_lone_carriage_return_in_a_header_we_read_is_refused(client):
    # As the server hands it over (the test client would refuse to build such a header).
    response = client.get(PATH, environ_overrides={"HTTP_X_REQUEST_ID": "abc\rdef"})
    assert _refused_field(response) == ["X-Request-ID"]
    response = client.get(PATH, environ_overrides={"HTTP_ACCEPT_LANGUAGE": "en\x00"})
    assert _refused_field(response) == ["Accept-Language"]
