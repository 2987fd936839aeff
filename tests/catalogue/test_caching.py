"""A browser or a cache keeps a catalogue answer and asks again with its ETag: 304 while nothing
changed, a new answer and a new ETag once an admin changed a service."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.catalogue import caching
from app.catalogue.models import Service
from app.extensions import db
from tests.factories import staff_headers
from tests.statements import statements

LIST = "/api/v1/services"
LEASE = "/api/v1/services/NBG-LEASE-REGISTER"
EN = {"Accept-Language": "en"}
AR = {"Accept-Language": "ar"}


class Clock:
    """The caching module's clock, moved by hand."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@pytest.fixture
def clock(app, monkeypatch):
    stopped = Clock()
    monkeypatch.setattr(caching, "now", stopped)
    caching.forget_version(app)  # a version read by an earlier test's rolled-back data
    return stopped


def again(client, path, etag, headers=None, **params):
    return client.get(path, headers={"If-None-Match": etag, **(headers or {})}, **params)


@pytest.mark.parametrize("path", [LIST, LEASE])
def test_an_answer_carries_its_etag_and_how_to_cache_it(client, clock, path):
    response = client.get(path)
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and len(etag) == 26
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["Vary"] == "Accept-Language"
    assert client.get(path).headers["ETag"] == etag  # nothing changed: the same tag


@pytest.mark.parametrize("path", [LIST, LEASE])
def test_asking_again_with_the_etag_answers_304_with_no_body(client, clock, path):
    first = client.get(path)
    etag = first.headers["ETag"]
    response = again(client, path, etag)
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, no-cache"
    assert response.headers["Vary"] == "Accept-Language"
    assert "Content-Type" not in response.headers
    # a proxy that compresses the answer makes the tag weak; the comparison is weak
    assert again(client, path, "W/" + etag).status_code == 304
    assert again(client, path, f'"elsewhere", {etag}').status_code == 304
    stale = again(client, path, '"not-the-tag"')
    assert stale.status_code == 200 and stale.get_json() == first.get_json()
    assert stale.headers["ETag"] == etag
    # `*` is not honoured: a full answer is given
    assert again(client, path, "*").status_code == 200


def test_the_query_string_is_part_of_the_etag(client, clock):
    first = client.get(LIST, query_string={"page": 1})
    second = client.get(LIST, query_string={"page": 2})
    leases = client.get(LIST, query_string={"family": "lease"})
    tags = {r.headers["ETag"] for r in (first, second, leases, client.get(LIST))}
    assert len(tags) == 4
    page_two = again(client, LIST, first.headers["ETag"], query_string={"page": 2})
    assert page_two.status_code == 200
    assert page_two.get_json() == second.get_json()
    other = client.get("/api/v1/services/ABG-COMPLAINT").headers["ETag"]
    assert again(client, LEASE, other).status_code == 200


def test_another_language_has_another_etag(client, clock):
    arabic = client.get(LEASE, headers=AR).headers["ETag"]
    english = client.get(LEASE, headers=EN).headers["ETag"]
    assert arabic != english
    assert client.get(LEASE).headers["ETag"] == arabic  # Arabic is the default
    # the language chosen counts, not how the header spells it
    assert (
        client.get(LEASE, headers={"Accept-Language": "en-GB,en;q=0.8"}).headers["ETag"] == english
    )
    assert again(client, LEASE, arabic, EN).status_code == 200
    assert again(client, LEASE, english, EN).status_code == 304


@pytest.mark.parametrize(
    "change",
    [
        {"fee": "12.500"},
        {"sla_days": 9},
        {"is_active": False},
        {
            "required_documents": [
                {"code": "civil_id_copy", "name_ar": "نسخة البطاقة", "name_en": "ID card copy"}
            ]
        },
    ],
)
def test_an_admin_change_gives_new_etags(app, client, clock, change):
    before = {path: client.get(path) for path in (LIST, LEASE)}
    _, headers = staff_headers(app, client, "admin", "NBG")
    assert client.patch(LEASE, json=change, headers=headers).status_code == 200
    for path, old in before.items():
        response = again(client, path, old.headers["ETag"])
        assert response.status_code == 200, path
        assert response.headers["ETag"] != old.headers["ETag"]
        assert response.get_json() != old.get_json()
        assert again(client, path, response.headers["ETag"]).status_code == 304
    assert client.get(LEASE).get_json()["code"] == "NBG-LEASE-REGISTER"


def test_a_patch_that_changes_nothing_keeps_the_etag(app, client, clock):
    etag = client.get(LEASE).headers["ETag"]
    _, headers = staff_headers(app, client, "admin", "NBG")
    unchanged = client.patch(LEASE, json={"sla_days": 7}, headers=headers)  # the seeded target
    assert unchanged.status_code == 200 and unchanged.get_json()["sla_days"] == 7
    assert again(client, LEASE, etag).status_code == 304


def test_a_change_made_elsewhere_is_seen_once_the_version_is_a_second_old(app, client, clock):
    # Another process (another worker, a command) changed the service: this process trusts the
    # version it read for a second, then reads it again.
    etag = client.get(LEASE).headers["ETag"]
    with app.app_context():
        db.session.execute(
            sa.update(Service).where(Service.code == "NBG-LEASE-REGISTER").values(fee_baisa=4000)
        )
        db.session.commit()
    clock.at += 0.9
    assert again(client, LEASE, etag).status_code == 304
    clock.at += 0.2
    response = again(client, LEASE, etag)
    assert response.status_code == 200
    assert response.get_json()["fee"] == "4.000"
    assert response.headers["ETag"] != etag


def test_a_304_sends_no_statement_and_one_when_the_version_is_read_again(app, client, clock):
    etag = client.get(LIST, query_string={"page": 2}).headers["ETag"]
    with statements(app) as sent:
        response = again(client, LIST, etag, query_string={"page": 2})
    assert response.status_code == 304
    assert len(sent) == 0, sent.text()
    clock.at += 1.0
    with statements(app) as sent:
        response = again(client, LIST, etag, query_string={"page": 2})
    assert response.status_code == 304
    assert len(sent) == 1, sent.text()
    assert sent.touching("services") == sent.touching("authorities") == sent
    with statements(app) as sent:
        assert again(client, LEASE, '"old"').status_code == 200
    assert len(sent) == 3, sent.text()  # the service, its authority, its documents


def test_an_unknown_service_has_no_etag(client, clock):
    response = client.get("/api/v1/services/NBG-NO-SUCH-THING", headers=EN)
    assert response.status_code == 404
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_the_openapi_document_shows_the_etag_and_the_304(client):
    spec = client.get("/api/openapi.json").get_json()
    for path in ("/api/v1/services", "/api/v1/services/{code}"):
        operation = spec["paths"][path]["get"]
        assert "If-None-Match" in {p["name"] for p in operation["parameters"]}
        assert set(operation["responses"]["304"]["headers"]) == {"ETag", "Cache-Control", "Vary"}
        assert {"ETag", "Cache-Control", "Vary"} <= set(operation["responses"]["200"]["headers"])
    patch = spec["paths"]["/api/v1/services/{code}"]["patch"]
    assert "304" not in patch["responses"] and "428" not in patch["responses"]
