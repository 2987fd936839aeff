"""The FAQ's Atom feed (RFC 4287): what a feed reader parses, field by field."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest

from app import uow
from app.authorities.models import Authority
from app.extensions import db
from app.moderation import ModerationState
from faq.models import FaqEntry
from tests.clock import Clock
from tests.factories import staff_headers
from tests.faq.helpers import FAQ, propose, published

FEED = "/api/v1/feeds/faq.atom"
A = "{http://www.w3.org/2005/Atom}"
LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def parse(response) -> ET.Element:
    assert response.status_code == 200, response.data
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    root = ET.fromstring(response.data)  # noqa: S314 - the app's own answer
    assert root.tag == f"{A}feed"
    return root


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(f"{A}entry")


def alternate(element: ET.Element) -> str:
    """The entry's link to itself: `rel="alternate"`, which is also what no `rel` means."""
    [link] = [x for x in element.findall(f"{A}link") if x.get("rel", "alternate") == "alternate"]
    return link.get("href")


def text(element: ET.Element, name: str) -> str:
    return element.find(f"{A}{name}").text


@pytest.fixture
def staff(app, client):
    return staff_headers(app, client, "inspector", "NBG")[1], staff_headers(app, client, "admin")[1]


def test_the_feed_lists_published_entries_newest_first_with_their_fields(
    app, client, staff, monkeypatch
):
    clock = Clock(monkeypatch)
    clock.set(2026, 12, 1, 9)
    older = published(client, *staff, question_en="Older question?", answer_en="Older answer.")
    clock.set(2026, 12, 1, 10)
    newer = published(client, *staff, question_en="Newer question?", service="NBG-LEASE-REGISTER")
    propose(client, staff[0], question_en="A draft, not public")
    hidden = published(client, *staff, question_en="Hidden later")
    client.post(f"{FAQ}/{hidden['id']}/hide", json={"reason": "Off topic"}, headers=staff[1])

    root = parse(client.get(FEED, query_string={"lang": "en"}))
    assert root.get(LANG) == "en"
    assert text(root, "id") == "tag:baladiya.om,2026:feeds/faq?lang=en"
    assert text(root, "title") == "Frequently asked questions"
    assert text(root, "updated") == "2026-12-01T10:00:00+04:00"
    assert root.find(f"{A}author/{A}name").text == "Baladiya municipal e-services"
    self_link = root.find(f"{A}link[@rel='self']").get("href")
    assert self_link == "http://127.0.0.1:5000/api/v1/feeds/faq.atom?lang=en"

    shown = entries(root)
    assert [text(e, "id") for e in shown] == [
        f"tag:baladiya.om,2026:faq/{newer['id']}",
        f"tag:baladiya.om,2026:faq/{older['id']}",
    ]
    first, second = shown
    assert text(first, "title") == "Newer question?"
    assert text(second, "content") == "Older answer."
    assert second.find(f"{A}content").get("type") == "text"
    assert text(second, "updated") == "2026-12-01T09:00:00+04:00"
    assert text(second, "published") == "2026-12-01T09:00:00+04:00"
    assert alternate(second) == f"http://127.0.0.1:5000/api/v1/faq/{older['id']}"
    assert first.find(f"{A}category").get("term") == "NBG-LEASE-REGISTER"
    assert first.find(f"{A}author/{A}name").text == "North Al Batinah Governorate"


def test_the_feed_is_in_the_language_asked_or_accepted(app, client, staff):
    entry = published(client, *staff)
    arabic = parse(client.get(FEED, headers={"Accept-Language": "ar"}))
    assert arabic.get(LANG) == "ar"
    assert text(arabic, "title") == "الأسئلة المتكررة"
    [item] = entries(arabic)
    assert text(item, "title") == "كيف أجدد رخصة البلدية؟"
    english = parse(client.get(FEED, headers={"Accept-Language": "en"}))
    assert text(entries(english)[0], "title") == "How do I renew a municipal licence?"
    # the same entry in either language, the same id: one entry to a reader
    expected_id = f"tag:baladiya.om,2026:faq/{entry['id']}"
    assert text(item, "id") == text(entries(english)[0], "id") == expected_id
    asked = client.get(FEED, query_string={"lang": "en"}, headers={"Accept-Language": "ar"})
    by_parameter = parse(asked)
    assert by_parameter.get(LANG) == "en"


def test_markup_and_ampersands_in_an_entry_are_escaped_text(app, client, staff):
    question = "<script>alert('x')</script> Fees & fines?"
    answer = "Pay at the counter <b>or</b> online & get a receipt."
    published(client, *staff, question_en=question, answer_en=answer)
    response = client.get(FEED, query_string={"lang": "en"})
    [item] = entries(parse(response))
    assert text(item, "title") == question
    assert text(item, "content") == answer
    assert b"<script>" not in response.data and b"<b>" not in response.data
    assert b"&lt;script&gt;" in response.data and b"Fees &amp; fines?" in response.data


def test_the_feed_filters_by_authority_and_keeps_its_ids_across_requests(app, client, staff):
    nbg = published(client, *staff)
    abg_staff = [staff_headers(app, client, role, "ABG")[1] for role in ("inspector", "admin")]
    abg = published(client, *abg_staff, question_en="Al Buraimi question?")
    root = parse(client.get(FEED, query_string={"authority": "abg", "lang": "en"}))
    assert text(root, "id") == "tag:baladiya.om,2026:feeds/faq?authority=ABG&lang=en"
    assert [text(e, "title") for e in entries(root)] == ["Al Buraimi question?"]
    everything = client.get(FEED, query_string={"lang": "en"})
    assert {text(e, "id") for e in entries(parse(everything))} == {
        f"tag:baladiya.om,2026:faq/{nbg['id']}",
        f"tag:baladiya.om,2026:faq/{abg['id']}",
    }
    assert client.get(FEED, query_string={"lang": "en"}).data == everything.data


def test_the_feed_holds_the_50_newest_entries(app, client):
    start = datetime.fromisoformat("2026-11-01T08:00:00+00:00")
    with app.app_context(), uow.transaction():
        authority = db.session.scalar(db.select(Authority).filter_by(code="NBG"))
        for n in range(55):
            at = start + timedelta(hours=n)
            db.session.add(
                FaqEntry(
                    authority_id=authority.id,
                    question_ar=f"سؤال {n}",
                    question_en=f"Question {n}",
                    answer_ar="جواب",
                    answer_en="Answer",
                    moderation_state=ModerationState.PUBLISHED.value,
                    moderated_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
    shown = entries(parse(client.get(FEED, query_string={"lang": "en"})))
    assert len(shown) == 50
    assert text(shown[0], "title") == "Question 54"
    assert text(shown[-1], "title") == "Question 5"


def test_an_empty_feed_is_still_a_valid_feed(client):
    root = parse(client.get(FEED, query_string={"lang": "ar", "authority": "MEM"}))
    assert entries(root) == []
    assert text(root, "updated") == "2026-01-01T04:00:00+04:00"
    assert client.get(FEED, query_string={"lang": "fr"}).status_code == 422


def test_a_reader_polling_the_feed_gets_304_until_an_entry_is_hidden(app, client, staff):
    entry = published(client, *staff)
    first = client.get(FEED, query_string={"lang": "en"})
    tag = first.headers["ETag"]
    again = client.get(FEED, query_string={"lang": "en"}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    client.post(f"{FAQ}/{entry['id']}/hide", json={"reason": "Wrong fee"}, headers=staff[1])
    changed = client.get(FEED, query_string={"lang": "en"}, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and entries(parse(changed)) == []
