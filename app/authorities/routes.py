"""Authorities API: the tenants and their departments, public reference data."""

from __future__ import annotations

import sqlalchemy as sa
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from app.access import PUBLIC, allow
from app.authorities.models import Authority
from app.errors import NotFound
from app.extensions import db
from app.pagination import MAX_PAGE_SIZE, PAGE_SIZE, SQLPage
from app.schemas import DepartmentRefSchema

blp = Blueprint("authorities", __name__, url_prefix="/api/v1", description="Government authorities")


class AuthoritySchema(Schema):
    code = fields.String()
    name_ar = fields.String()
    name_en = fields.String()
    departments = fields.List(fields.Nested(DepartmentRefSchema))


@blp.route("/authorities")
class Authorities(MethodView):
    @allow(PUBLIC)
    @blp.response(200, AuthoritySchema(many=True))
    @blp.paginate(SQLPage, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
    def get(self):
        """The government authorities served by this installation"""
        return sa.select(Authority).order_by(Authority.code)


@blp.route("/authorities/<string:code>")
class AuthorityItem(MethodView):
    @allow(PUBLIC)
    @blp.response(200, AuthoritySchema)
    def get(self, code):
        """One authority and its departments"""
        authority = db.session.scalar(sa.select(Authority).where(Authority.code == code.upper()))
        if authority is None:
            raise NotFound()
        return authority
