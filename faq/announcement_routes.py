"""Announcements API: news of the authorities, beside the maintenance windows of
`app.maintenance` (`/api/v1/announcements`), which stay where they are."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from app.access import PUBLIC, allow, require_user
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from faq import announcements
from faq.schemas import AnnouncementInputSchema, AnnouncementQuerySchema, AnnouncementSchema

blp = Blueprint(
    "news",
    __name__,
    url_prefix="/api/v1/announcements/news",
    description="News announced by the authorities",
)


@blp.route("")
class News(MethodView):
    @allow(PUBLIC)
    @blp.arguments(AnnouncementQuerySchema, location="query")
    @blp.response(200, AnnouncementSchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self, query):
        """Published announcements, newest first (maintenance windows: `GET /announcements`)"""
        return announcements.published_announcements(query.get("authority"))

    @allow(*announcements.ANNOUNCERS)
    @blp.arguments(AnnouncementInputSchema)
    @blp.response(201, AnnouncementSchema)
    def post(self, data):
        """Announce news to your authority's public (admins: to all), now or from `publish_at`

        Audited. It appears in the list and the Atom feed from its publish time."""
        return announcements.announce(require_user(), data)


@blp.route("/<int:announcement_id>")
class NewsItem(MethodView):
    @allow(PUBLIC)
    @blp.response(200, AnnouncementSchema)
    def get(self, announcement_id):
        """One published announcement"""
        return announcements.find_announcement(announcement_id)

    @allow(*announcements.ANNOUNCERS)
    @blp.response(204)
    def delete(self, announcement_id):
        """Withdraw an announcement of your authority (admins: or one to all); kept, audited"""
        announcements.withdraw(require_user(), announcement_id)
