"""Atom feeds (RFC 4287) of the FAQ and of announcements, in Arabic or English.

The XML is written by feedgen (on lxml), never by joining strings: every text staff or the public
wrote goes in as element text and is escaped by the serialiser. Ids are tag URIs (RFC 4151) made
of the record's kind and id only, so they are the same on every run, host and language: a reader
sees one entry whatever address it fetched the feed from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from flask import current_app, request

from app.authorities.models import Authority
from app.i18n import N_, in_language
from app.maintenance.models import MaintenanceWindow
from app.timeutil import to_muscat
from faq import services
from faq.announcements import FeedItem, announcement_feed
from faq.models import FaqEntry

CONTENT_TYPE = "application/atom+xml; charset=utf-8"
MAX_ENTRIES = 50
TAG = "tag:baladiya.om,2026:"
# The `updated` of a feed with no entry yet: a fixed moment, so an empty feed reads the same on
# every request.
EMPTY_FEED_UPDATED = datetime(2026, 1, 1, tzinfo=UTC)

PORTAL = N_("Baladiya municipal e-services")
FAQ_TITLE = N_("Frequently asked questions")
ANNOUNCEMENTS_TITLE = N_("Announcements")
MAINTENANCE_TITLE = N_("Maintenance from %(start)s to %(end)s")


@dataclass(frozen=True)
class Entry:
    """One entry as the feed shows it, in the feed's language."""

    id: str
    title: str
    content: str
    updated: datetime
    published: datetime
    link: str
    author: str
    category: tuple[str, str] | None = None  # (term: the service code, label: its name)


def _text(record: object, field: str, language: str) -> str:
    return getattr(record, f"{field}_{language}")


def _author(authority: Authority | None, language: str) -> str:
    return _text(authority, "name", language) if authority else in_language(language, PORTAL)


def api_url(path: str) -> str:
    """The absolute address of an API path, on the configured public base URL (not the host the
    request named: a feed's links are the same wherever it was fetched)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + path


def faq_entries(entries: Iterable[FaqEntry], language: str) -> list[Entry]:
    return [
        Entry(
            id=f"{TAG}faq/{e.id}",
            title=_text(e, "question", language),
            content=_text(e, "answer", language),
            updated=e.updated_at,
            published=e.moderated_at or e.updated_at,
            link=api_url(f"/api/v1/faq/{e.id}"),
            author=_author(e.authority, language),
            category=(e.service.code, _text(e.service, "name", language)) if e.service else None,
        )
        for e in entries
    ]


def _moment(at: datetime) -> str:
    return to_muscat(at).strftime("%Y-%m-%d %H:%M")


def announcement_entries(items: Iterable[FeedItem], language: str) -> list[Entry]:
    entries = []
    for item in items:
        record = item.record
        if isinstance(record, MaintenanceWindow):
            title = in_language(
                language,
                MAINTENANCE_TITLE,
                start=_moment(record.starts_at),
                end=_moment(record.ends_at),
            )
            content, link = _text(record, "message", language), "/api/v1/announcements"
        else:
            title, content = _text(record, "title", language), _text(record, "body", language)
            link = f"/api/v1/announcements/news/{record.id}"
        entries.append(
            Entry(
                id=f"{TAG}{item.kind}/{record.id}",
                title=title,
                content=content,
                updated=item.at,
                published=item.at,
                link=api_url(link),
                author=_author(record.authority, language),
            )
        )
    return entries


def atom(
    name: str, title: str, entries: list[Entry], language: str, authority: str | None
) -> bytes:
    """The feed document: `entries` in the order given (newest first), at most `MAX_ENTRIES`.

    The feed's id names the feed (`name`), the authority filter and the language, which together
    decide its entries."""
    feed = FeedGenerator()
    scope = f"?authority={authority.upper()}&lang={language}" if authority else f"?lang={language}"
    feed.id(f"{TAG}feeds/{name}{scope}")
    feed.title(in_language(language, title))
    feed.language(language)
    feed.generator("Baladiya")
    feed.author(name=in_language(language, PORTAL))
    asked = request.query_string.decode()
    self_link = api_url(request.path + (f"?{asked}" if asked else ""))
    feed.link(href=self_link, rel="self", type="application/atom+xml")
    feed.updated(to_muscat(max((e.updated for e in entries), default=EMPTY_FEED_UPDATED)))
    for shown in entries[:MAX_ENTRIES]:
        entry = feed.add_entry(order="append")
        entry.id(shown.id)
        entry.title(shown.title)
        entry.content(shown.content, type="text")
        entry.updated(to_muscat(shown.updated))
        entry.published(to_muscat(shown.published))
        entry.link(href=shown.link, rel="alternate", type="application/json")
        entry.author(name=shown.author)
        if shown.category:
            entry.category(term=shown.category[0], label=shown.category[1])
    return feed.atom_str(pretty=True)


def faq_feed(authority: str | None, language: str) -> bytes:
    """The FAQ feed: the newest published entries, hidden and draft ones never."""
    entries = services.newest_published(authority, MAX_ENTRIES)
    return atom("faq", FAQ_TITLE, faq_entries(entries, language), language, authority)


def announcements_feed(authority: str | None, language: str) -> bytes:
    """The announcements feed: published news and announced maintenance windows."""
    items = announcement_feed(authority, MAX_ENTRIES)
    entries = announcement_entries(items, language)
    return atom("announcements", ANNOUNCEMENTS_TITLE, entries, language, authority)
