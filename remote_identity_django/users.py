"""Load a user with the fingerprint last synced into it, in the one query that loads it.

Every request of a signed-in user loads the user (Django's ``AuthenticationMiddleware``
calls the backend's ``get_user``). Reading the stored fingerprint in that same query is
what keeps the steady state at Django's own two statements while comparing the proxy's
identity with what the database really holds.

The query is written as SQL from the models' metadata and run with ``Manager.raw()``,
Django's public API for it (the values go through the fields' converters, extra columns
become attributes): the ORM's spelling of the same join took longer to build than the
database took to answer it, while ``raw()`` costs less than the ORM's ``get()`` of the
user alone. Where ``raw()`` could read past what the default manager would return (a
manager with its own queryset, which may hide users) or miss columns (multi-table
inheritance), the ORM builds the query instead, with the fingerprint as a subquery.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections
from django.db.models import Manager, QuerySet
from django.db.models.expressions import RawSQL

from .models import SyncState

__all__ = ["FINGERPRINT_ATTR", "NOT_LOADED", "load_user", "stored_fingerprint"]

#: The attribute of a loaded user that holds its stored fingerprint (``None``: never
#: synced).
FINGERPRINT_ATTR = "remote_identity_fingerprint"

#: :func:`stored_fingerprint` of a user loaded otherwise (by another backend).
NOT_LOADED: Any = object()


def stored_fingerprint(user: Any) -> str | None:
    """The fingerprint loaded with ``user``: ``None`` if it was never synced,
    ``NOT_LOADED`` if it was loaded without it. Never a query."""
    value: str | None = getattr(user, FINGERPRINT_ATTR, NOT_LOADED)
    return value


def load_user(field: str, value: Any) -> Any:
    """The user whose ``field`` (``"pk"`` or the username field) is ``value``, with its
    stored fingerprint; ``None`` if there is none."""
    model = get_user_model()
    manager = model._default_manager
    database = manager.db
    name = model._meta.pk.name if field == "pk" else field
    if _plain(model, manager):
        sql = _select(model, database, name)
        field_object: Any = model._meta.get_field(name)
        db_value = field_object.get_db_prep_value(value, connections[database], prepared=False)
        for user in manager.raw(sql, [db_value]):
            return user
        return None
    subquery = RawSQL(_subquery(model, database), ())  # noqa: S611 - no value in it
    queryset = manager.annotate(**{FINGERPRINT_ATTR: subquery})
    try:
        return queryset.get(**{name: value})
    except model.DoesNotExist:
        return None


def _plain(model: Any, manager: Any) -> bool:
    """Whether ``raw()`` reads exactly what the default manager would."""
    return (
        not model._meta.parents
        and type(manager).get_queryset is Manager.get_queryset
        and manager._queryset_class is QuerySet
    )


def _column(model: Any, name: str) -> str:
    field: Any = model._meta.get_field(name)
    return str(field.column)


@functools.cache
def _select(model: Any, database: str, name: str) -> str:
    quote = connections[database].ops.quote_name
    return (
        f"SELECT u.*, s.{quote(_column(SyncState, 'fingerprint'))} AS "  # noqa: S608
        f"{quote(FINGERPRINT_ATTR)} FROM {quote(model._meta.db_table)} u "
        f"LEFT OUTER JOIN {quote(SyncState._meta.db_table)} s "
        f"ON s.{quote(_column(SyncState, 'user'))} = u.{quote(model._meta.pk.column)} "
        f"WHERE u.{quote(_column(model, name))} = %s"
    )


@functools.cache
def _subquery(model: Any, database: str) -> str:
    quote = connections[database].ops.quote_name
    return (
        f"SELECT s.{quote(_column(SyncState, 'fingerprint'))} "  # noqa: S608
        f"FROM {quote(SyncState._meta.db_table)} s WHERE s.{quote(_column(SyncState, 'user'))} "
        f"= {quote(model._meta.db_table)}.{quote(model._meta.pk.column)}"
    )
