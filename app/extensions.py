"""Every Flask extension, created once here and initialised in `create_app`."""

from typing import Any

from flask.wrappers import Request
from flask_babel import Babel
from flask_migrate import Migrate
from flask_smorest import Api, Blueprint
from flask_sqlalchemy import SQLAlchemy
from marshmallow import missing
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase
from webargs.flaskparser import FlaskParser, is_json_request

# Stable constraint names, so that migrations name what they create and drop on every backend.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def render_item(type_, obj, autogen_context):
    """Write our UTCDateTime into migrations as the plain type it stores."""
    from app.timeutil import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


class CheckedBodyParser(FlaskParser):
    """webargs' parser, reading the JSON body the edge already parsed and checked (`app.input`)
    instead of parsing it a second time with the standard library (which would also take NaN).
    It lives here, with the extension it configures, since the edge stands on this module."""

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req) or not req.get_data(cache=True):
            return missing
        return req.get_json()


migrate = Migrate(compare_type=True, render_as_batch=True, render_item=render_item)
api = Api()
# flask-smorest's customisation point for the body parser: every view reads the JSON body the
# edge parsed and checked once (app/input.py), not a second parse.
Blueprint.ARGUMENTS_PARSER = CheckedBodyParser()
babel = Babel()
