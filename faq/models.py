"""FAQ entries (moderated, searchable in both languages) and announcements (news of an authority,
or of all, shown from their publish time)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from app.authorities.models import Authority
from app.catalogue.models import Service
from app.catalogue.search import normalise_arabic
from app.extensions import db
from app.models import Timestamped
from app.moderation import Moderated
from app.timeutil import UTCDateTime


class FaqEntry(Moderated, Timestamped, db.Model):
    """A question and its answer in Arabic and English, of one authority and optionally one of
    its services. Staff propose it (`pending`: a draft); a moderator publishes it, and may hide it
    again with a reason (`app.moderation`). Only published entries are public.

    `search_ar` and `search_en` are the question and answer in search form (as the catalogue's
    `Service.search_ar`), kept in step whenever one of them is set. `source` names what the entry
    was proposed from (a suggestion's or an inquiry's reference), as free text: the package that
    keeps those links it, this one only shows it.
    """

    __tablename__ = "faq_entries"
    __table_args__ = (
        sa.Index("ix_faq_entries_list", "authority_id", "moderation_state", "position", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int] = mapped_column(sa.ForeignKey("authorities.id"))
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("services.id"), index=True)
    question_ar: Mapped[str] = mapped_column(sa.String(500))
    question_en: Mapped[str] = mapped_column(sa.String(500))
    answer_ar: Mapped[str] = mapped_column(sa.Text)
    answer_en: Mapped[str] = mapped_column(sa.Text)
    search_ar: Mapped[str] = mapped_column(sa.Text, default="")
    search_en: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    source: Mapped[str | None] = mapped_column(sa.String(60))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    authority: Mapped[Authority] = relationship()
    service: Mapped[Service | None] = relationship()

    @validates("question_ar", "answer_ar", "question_en", "answer_en")
    def _keep_search_form(self, key: str, text: str) -> str:
        kind, language = key.split("_")
        other = getattr(self, ("answer_" if kind == "question" else "question_") + language)
        question, answer = (text, other) if kind == "question" else (other, text)
        setattr(self, "search_" + language, normalise_arabic(f"{question or ''} {answer or ''}"))
        return text


class Announcement(Timestamped, db.Model):
    """News of one authority (or of all, with no authority) in both languages, shown publicly
    from `publish_at` on until it is withdrawn. Written by moderators themselves, so it is not
    moderated; a withdrawn one is kept, marked, for the record."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    authority_id: Mapped[int | None] = mapped_column(sa.ForeignKey("authorities.id"), index=True)
    title_ar: Mapped[str] = mapped_column(sa.String(300))
    title_en: Mapped[str] = mapped_column(sa.String(300))
    body_ar: Mapped[str] = mapped_column(sa.Text)
    body_en: Mapped[str] = mapped_column(sa.Text)
    publish_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    authority: Mapped[Authority | None] = relationship()
