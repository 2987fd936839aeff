"""Pagination of SQL queries for flask-smorest's `@blp.paginate(SQLPage)`.

Lists take `page` (1 to `MAX_PAGE`) and `page_size` (1 to 100); the totals come in the
`X-Pagination` header. Both bounds are in the OpenAPI document; a page beyond them is 422 (an
unbounded one overflowed the database's OFFSET).

Long lists (`KeysetPage`: the staff queue, an applicant's applications) also take a `cursor`,
which continues after the last item of the page it came with: the next page is an index range
read from where the last one ended, the same cost at the millionth item as at the first, where an
OFFSET reads and drops every row before it. The next page's cursor is `next_cursor` in
`X-Pagination` and the `Link: <…>; rel="next"` header. A cursor is signed with the app's secret:
one the server did not make is 422. Their count stops at `COUNT_CAP` items (beyond the page
asked for): a longer list says `total_at_least` instead of `total`, `total_pages` and
`last_page`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import flask_smorest
import marshmallow as ma
import sqlalchemy as sa
from flask import current_app, jsonify, request
from flask_smorest import Page
from flask_smorest import pagination as smorest_pagination
from itsdangerous import BadSignature, URLSafeSerializer

from app.errors import ValidationFailed
from app.extensions import db
from app.i18n import N_

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
MAX_PAGE = 1_000_000
COUNT_CAP = 1_000
CURSOR_SALT = "baladiya.pagination.cursor"
BAD_CURSOR = N_("This cursor is not one this list gave; start again from the first page.")
CURSOR_AND_PAGE = N_("A cursor continues the list by itself; leave out the page.")

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


class PaginationMetadataSchema(smorest_pagination.PaginationMetadataSchema):
    """What `X-Pagination` may hold: flask-smorest's members, and those of a `KeysetPage`."""

    total_at_least = ma.fields.Int(
        metadata={
            "description": f"Instead of `total`, `total_pages` and `last_page` when the list has "
            f"more than {COUNT_CAP} items past the page asked for: it has at least this many."
        }
    )
    next_cursor = ma.fields.Str(
        metadata={"description": "The `cursor` of the next page, when there is one."}
    )


# flask-smorest's own reference to the header's schema (its `PAGINATION` component) names ours.
smorest_pagination.PAGINATION_HEADER["schema"] = PaginationMetadataSchema

LINK_HEADER = {
    "description": 'The next page, when there is one: `<…?cursor=…>; rel="next"` (RFC 8288).',
    "schema": {"type": "string"},
}


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


class CursorQuery(ma.Schema):
    cursor = ma.fields.String(
        validate=ma.validate.Length(min=1, max=500),
        metadata={
            "description": "Continue after the last item of a page: its `next_cursor` (in "
            "`X-Pagination`, and in the `Link` header). Instead of `page`; `page_size` and the "
            "filters as you like."
        },
    )


@dataclass(frozen=True)
class Keyset:
    """A filtered `select()` of one entity, in the order of `key` (ascending, or descending
    throughout), that `KeysetPage` pages by offset or by cursor.

    `key` ends with a unique column, so it orders every row. A column of it may be NULL only
    where every row that shares the key's earlier columns with a NULL one has it NULL too (the
    queue's due date, NULL exactly in its last band; or `due IS NULL, due, id`): a cursor
    stopped on a NULL compares the other columns only. `name` keeps one list's cursors out of
    another's.

    `query` selects the entity, or (with `shown` and `answer`) columns of one table: it is what
    the count counts. `shown` reads rows of that table with what their answer shows (their
    references' joins and columns), given the table itself or a subquery of the page's rows
    with the table's column names (on PostgreSQL: `KeysetPage._fenced_page`). `answer` writes
    the page's JSON from those rows (a plain-dict serialiser instead of the route's schema: the
    page is then a JSON `Response`, which flask-smorest does not dump again)."""

    query: sa.Select
    key: Sequence[sa.ColumnElement]
    name: str
    descending: bool = False
    cursor: str | None = None
    shown: Callable[[sa.FromClause], sa.Select] | None = None
    answer: Callable[[Sequence[sa.Row]], list[Any]] | None = None

    def after(self, cursor: str | None) -> Keyset:
        return replace(self, cursor=cursor)

    def order(self, columns: Sequence[sa.ColumnElement]) -> list[sa.ColumnElement]:
        """`columns` (the key, or the same columns of a subquery) in the list's direction."""
        return [c.desc() if self.descending else c for c in columns]

    def beyond(self, values: Sequence[Any]) -> sa.ColumnElement[bool]:
        """The rows after the one whose key is `values`, as one row comparison (an index range).
        A NULL of `values` leaves its column out: the rows that share the earlier columns have
        it NULL too (see the class), so the other columns order them."""
        kept = [(k, v) for k, v in zip(self.key, values, strict=True) if v is not None]
        row, given = sa.tuple_(*(k for k, _ in kept)), sa.tuple_(*(v for _, v in kept))
        return row < given if self.descending else row > given

    def encode(self, values: Sequence[Any]) -> str:
        shown = [v.isoformat() if isinstance(v, dt.date) else v for v in values]
        return _serializer().dumps([self.name, *shown])

    def decode(self, cursor: str) -> list[Any]:
        """The key values a cursor of this list holds; 422 for any other text."""
        try:
            name, *values = _serializer().loads(cursor)
            if name != self.name or len(values) != len(self.key):
                raise ValueError
            return [_key_value(k, v) for k, v in zip(self.key, values, strict=True)]
        except (BadSignature, TypeError, ValueError) as error:
            raise ValidationFailed({"cursor": [BAD_CURSOR]}) from error


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=CURSOR_SALT)


def _key_value(column: sa.ColumnElement, value: Any) -> Any:
    """A value of a cursor back in the key column's type (a signed cursor holds what we wrote;
    checked anyway, the key may have changed since it was made)."""
    kind = column.type
    if value is None:
        return None
    if isinstance(kind, sa.Boolean) and isinstance(value, bool):
        return value
    if isinstance(kind, sa.Date) and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if isinstance(kind, sa.Integer) and type(value) is int:
        return value
    raise ValueError(value)


class KeysetPage(Page):
    """Pages a `Keyset`: by `cursor` one query (the page, and whether there is a next one); by
    `page` that query with an OFFSET, and a count that stops at `COUNT_CAP` past the page."""

    def __init__(self, collection: Keyset, page_params) -> None:
        self.collection = collection
        self.page_params = page_params

    @property
    def items(self):
        keyset, params = self.collection, self.page_params
        if keyset.cursor is not None and "page" in request.args:
            keyset.decode(keyset.cursor)  # a bad cursor is refused first
            raise ValidationFailed({"page": [CURSOR_AND_PAGE]})
        if keyset.shown is None:
            query = self._page(keyset.query)
        elif db.session.get_bind().dialect.name == "postgresql":
            query = self._fenced_page()
        else:  # SQLite's nested loops read the page in the index's order, joins or not
            table = keyset.query.get_final_froms()[0]
            query = self._page(keyset.shown(table).where(keyset.query.whereclause))
        rows = db.session.execute(query).all()
        page, more = rows[: params.page_size], len(rows) > params.page_size
        metadata = {} if keyset.cursor is not None else self._totals(more)
        if more:
            metadata["next_cursor"] = keyset.encode(tuple(page[-1])[-len(keyset.key) :])
        params.item_count, params.metadata = len(page), metadata
        if keyset.answer is not None:
            return jsonify(keyset.answer(page))
        return [row[0] for row in page]

    def _page(self, query: sa.Select) -> sa.Select:
        """`query` in the key's order, the key's values as its last columns, from the cursor on
        or from the page's offset, one row more than the page (whether there is a next one)."""
        keyset, params = self.collection, self.page_params
        query = query.order_by(*keyset.order(keyset.key)).add_columns(*keyset.key)
        if keyset.cursor is not None:
            query = query.where(keyset.beyond(keyset.decode(keyset.cursor)))
        else:
            query = query.offset(params.first_item)
        return query.limit(params.page_size + 1)

    def _fenced_page(self) -> sa.Select:
        """The page read alone from the table, in a subquery, and what the answer shows joined
        to its rows. PostgreSQL misjudges some filters (`sla_state=breached` at 1,000,000
        applications: it guesses one row for a bound of the key whose first column is `false`,
        and 60,000 match); with the joins in the same statement it then joined and sorted every
        matching row before keeping the page's (0.7 s), where the subquery stops after the page,
        read in the index's order (0.1 ms)."""
        keyset = self.collection
        rows = self._page(keyset.query).subquery("page")
        key = list(rows.c)[-len(keyset.key) :]
        query = keyset.shown(rows).add_columns(*key)
        return query.order_by(*keyset.order(key))

    def _totals(self, more: bool) -> dict[str, Any]:
        """flask-smorest's totals, or `total_at_least` beyond the cap."""
        params = self.page_params
        cap = max(COUNT_CAP, params.first_item + params.page_size)
        rows = self.collection.query.with_only_columns(sa.literal(1), maintain_column_froms=True)
        counted = db.session.scalar(
            sa.select(sa.func.count()).select_from(rows.limit(cap + 1).subquery())
        )
        if counted <= cap:
            return flask_smorest.Blueprint._make_pagination_metadata(
                params.page, params.page_size, counted
            )
        metadata = {"total_at_least": counted, "first_page": 1, "page": params.page}
        if params.page > 1:
            metadata["previous_page"] = params.page - 1
        if more:
            metadata["next_page"] = params.page + 1
        return metadata


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, whose paginated answers carry what a `KeysetPage` says."""

    def _set_pagination_metadata(self, page_params, result, headers):
        metadata = getattr(page_params, "metadata", None)
        if metadata is None:
            return super()._set_pagination_metadata(page_params, result, headers)
        headers = dict(headers or {})
        headers[self.PAGINATION_HEADER_NAME] = json.dumps(metadata)
        if "next_cursor" in metadata:
            headers["Link"] = f'<{_next_url(metadata["next_cursor"])}>; rel="next"'
        return result, headers


def _next_url(cursor: str) -> str:
    """This request's URL, the page left out and the cursor given."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "cursor")]
    return f"{request.script_root}{request.path}?{urlencode([*kept, ('cursor', cursor)])}"
