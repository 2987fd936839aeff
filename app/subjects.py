"""Naming a record in a query as `type:id` (`application:NBG-2026-000042`, `application:42`),
shared by the lists that filter by subject (the delivery log, the audit log)."""

from __future__ import annotations

from collections.abc import Callable

from marshmallow import ValidationError, fields

from app.converters import MAX_ID
from app.i18n import N_

# Rows name their subject as its users do (an application by its reference). A feature may let
# staff also name it by its database id by registering how to find the name from the id.
_subject_names: dict[str, Callable[[int], str | None]] = {}


def register_subject_name(kind: str, name_of: Callable[[int], str | None]) -> None:
    """`name_of(id)` gives the subject id rows of `kind` store for that record (or None)."""
    _subject_names[kind] = name_of


def subject_ids(kind: str, identifier: str) -> set[str]:
    """The subject ids a row may store for `kind:identifier`: the identifier itself, and the
    record's name when `identifier` is the database id of a kind that registered one."""
    names = {identifier}
    # an id past the columns' range names no record (and would be an error on PostgreSQL)
    if kind in _subject_names and identifier.isdigit() and int(identifier) <= MAX_ID:
        names.add(_subject_names[kind](int(identifier)) or identifier)
    return names


class SubjectField(fields.String):
    """A `type:id` query parameter, loaded as the pair `(type, id)`."""

    def __init__(self, **kwargs) -> None:
        description = (
            "type:id of the record: an application by its reference or its id, "
            "e.g. application:NBG-2026-000042 or application:42; a licence by its number"
        )
        kwargs.setdefault("metadata", {"description": description})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> tuple[str, str]:
        kind, _, identifier = super()._deserialize(value, attr, data, **kwargs).partition(":")
        if not kind or not identifier:
            raise ValidationError(N_("Give the subject as type:id, for example application:42."))
        return kind, identifier
