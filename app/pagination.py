"""Pagination of SQL queries for flask-smorest's `@blp.paginate(SQLPage)`.

Lists take `page` and `page_size` (at most 100); the totals come in the `X-Pagination` header.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_smorest import Page

from app.extensions import db

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class SQLPage(Page):
    """Pages a `select()`: one COUNT query and one LIMIT/OFFSET query."""

    @property
    def items(self):
        query = self.collection.offset(self.page_params.first_item).limit(
            self.page_params.page_size
        )
        return db.session.scalars(query).all()

    @property
    def item_count(self):
        counted = self.collection.order_by(None).subquery()
        return db.session.scalar(sa.select(sa.func.count()).select_from(counted))
