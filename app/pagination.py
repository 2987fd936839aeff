"""Pagination of SQL queries for flask-smorest's `@blp.paginate(SQLPage)`.

Lists take `page` (1 to `MAX_PAGE`) and `page_size` (1 to 100); the totals come in the
`X-Pagination` header. Both bounds are in the OpenAPI document; a page beyond them is 422 (an
unbounded one overflowed the database's OFFSET).
"""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask_smorest import Page
from flask_smorest import pagination as smorest_pagination

from app.extensions import db

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000

_unbounded_schema_factory = smorest_pagination._pagination_parameters_schema_factory


def _bounded_schema_factory(def_page, def_page_size, def_max_page_size):
    """flask-smorest's pagination parameters, with an upper bound on `page` too.

    flask-smorest builds this schema in a module function its `paginate` calls and has no
    setting for the bound; replacing the function (tests/test_input_edge.py checks the OpenAPI
    document and the 422) keeps every `@blp.paginate` as it is."""
    base = _unbounded_schema_factory(def_page, def_page_size, def_max_page_size)

    class PaginationParametersSchema(base):
        page = ma.fields.Integer(
            load_default=def_page, validate=ma.validate.Range(min=1, max=MAX_PAGE)
        )

    return PaginationParametersSchema


smorest_pagination._pagination_parameters_schema_factory = _bounded_schema_factory


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
