"""Moderators announce news to their authority's public (admins: to all); the announcements feed
shows it beside the maintenance windows, newest first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from app.timeutil import utcnow
from tests.clock import Clock
from tests.factories import staff_headers
from tests.faq.helpers import EN, audit_rows

NEWS = "/api/v1/announcements/news"
FEED = "/api/v1/feeds/announcements.atom"
A = "{http://www.w3.org/2005/Atom}"


def news_data(**overrides):
    return {
        "title_ar": "مواعيد العمل في رمضان",
        "title_en": "Working hours in Ramadan",
        "body_ar": "تعمل المكاتب من التاسعة حتى الثانية.",
        "body_en": "Offices open from 9 to 2.",
        **overrides,
    }


def announce(client, headers, **overrides):
    response = client.post(NEWS, json=news_data(**overrides), headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def titles(client, **params):
    response = client.get(NEWS, query_string=params)
    assert response.status_code == 200
    return [a["title_en"] for a in response.get_json()]


def feed(client, **params):
    response = client.get(FEED, query_string=params)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    return ET.fromstring(response.data).findall(f"{A}entry")  # noqa: S314 - the app's own answer


def test_news_of_an_authority_is_public_there_and_withdrawn_with_a_record(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    made = announce(client, head)
    assert made["authority"]["code"] == "NBG"
    assert titles(client) == ["Working hours in Ramadan"]
    assert titles(client, authority="NBG") == ["Working hours in Ramadan"]
    assert titles(client, authority="ABG") == []
    assert client.get(f"{NEWS}/{made['id']}").get_json()["body_ar"] == (
        "تعمل المكاتب من التاسعة حتى الثانية."
    )

    _, abg_admin = staff_headers(app, client, "admin", "ABG")
    assert client.delete(f"{NEWS}/{made['id']}", headers=abg_admin).status_code == 404
    assert client.delete(f"{NEWS}/{made['id']}", headers=head).status_code == 204
    assert titles(client) == []
    assert client.get(f"{NEWS}/{made['id']}").status_code == 404
    assert feed(client) == []
    assert client.delete(f"{NEWS}/{made['id']}", headers=head).status_code == 404
    rows = audit_rows(app, "announcement", made["id"])
    assert [r.action for r in rows] == ["announcement.published", "announcement.withdrawn"]
    assert rows[1].before["withdrawn_at"] is None and rows[1].after["withdrawn_at"] is not None


def test_only_an_admin_announces_to_all_authorities(app, client):
    _, head = staff_headers(app, client, "department_head", "NBG")
    refused = client.post(NEWS, json=news_data(all_authorities=True), headers={**head, **EN})
    assert refused.status_code == 403
    assert refused.get_json()["detail"] == "Only an admin may announce to all authorities."
    _, admin = staff_headers(app, client, "admin", "NBG")
    everyone = announce(client, admin, all_authorities=True, title_en="New portal")
    assert everyone["authority"] is None
    assert titles(client, authority="ABG") == ["New portal"]
    assert titles(client, authority="MEM") == ["New portal"]


def test_news_appears_from_its_publish_time(app, client, monkeypatch):
    clock = Clock(monkeypatch)
    clock.set(2026, 12, 1, 9)
    _, head = staff_headers(app, client, "department_head", "NBG")
    later = announce(client, head, publish_at="2026-12-03T08:00:00", title_en="Holiday closure")
    assert later["publish_at"] == "2026-12-03T08:00:00+04:00"  # Asia/Muscat when no offset
    assert titles(client) == [] and feed(client) == []
    assert client.get(f"{NEWS}/{later['id']}").status_code == 404
    clock.set(2026, 12, 3, 8)
    assert titles(client) == ["Holiday closure"]
    assert len(feed(client)) == 1


def test_the_feed_holds_news_and_maintenance_windows_newest_first(app, client, monkeypatch):
    clock = Clock(monkeypatch)
    clock.set(2026, 12, 1, 9)
    _, admin = staff_headers(app, client, "admin", "NBG")
    news = announce(client, admin, title_en="Fees & <b>charges</b> updated")
    clock.set(2026, 12, 1, 10)
    start = utcnow() + timedelta(days=2)
    window = client.post(
        "/api/v1/announcements",
        json={
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
            "message_ar": "توقف الخدمات للصيانة.",
            "message_en": "Services stop for maintenance.",
        },
        headers=admin,
    ).get_json()

    first, second = feed(client, lang="en")
    assert first.find(f"{A}id").text == f"tag:baladiya.om,2026:maintenance/{window['id']}"
    assert first.find(f"{A}title").text == "Maintenance from 2026-12-03 10:00 to 2026-12-03 12:00"
    assert first.find(f"{A}content").text == "Services stop for maintenance."
    assert first.find(f"{A}updated").text == "2026-12-01T10:00:00+04:00"
    assert second.find(f"{A}id").text == f"tag:baladiya.om,2026:announcement/{news['id']}"
    assert second.find(f"{A}title").text == "Fees & <b>charges</b> updated"
    assert second.find(f"{A}link").get("href") == (
        f"http://127.0.0.1:5000/api/v1/announcements/news/{news['id']}"
    )
    arabic_first, _ = feed(client, lang="ar")
    assert arabic_first.find(f"{A}title").text == "صيانة من 2026-12-03 10:00 إلى 2026-12-03 12:00"
    assert arabic_first.find(f"{A}content").text == "توقف الخدمات للصيانة."

    client.delete(f"/api/v1/announcements/{window['id']}", headers=admin)
    [left] = feed(client, lang="en")
    assert left.find(f"{A}id").text == f"tag:baladiya.om,2026:announcement/{news['id']}"
    assert [e.find(f"{A}id").text for e in feed(client, authority="ABG")] == []
