"""The sync's own SQL statements, written from the models' metadata.

Each replaces an ORM spelling that took longer to build than the database took to run
it, on a path that runs inside a request (a first sign-in, a changed identity).
Identifiers come from the models and are quoted by the connection; every value is a
parameter. Built once per model and database.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connections
from django.db.models.signals import m2m_changed, post_save, pre_save

from .models import SyncState

__all__ = [
    "add_to_existing_groups",
    "create_user",
    "insert_state",
    "memberships",
    "upsert_state",
]


def memberships(
    user: Any, target: Sequence[str], database: str, *, new: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One query: the user's groups (name -> pk) and which of ``target`` exist (name ->
    pk). ``new``: the user has no membership yet; only the target is read."""
    member_sql, target_sql = _membership_sql(user.__class__, database)
    parts: list[str] = []
    params: list[Any] = []
    if not new:
        parts.append(member_sql)
        params.append(user.pk)
    if target:
        parts.append(target_sql.replace("{marks}", ", ".join(["%s"] * len(target))))
        params.extend(target)
    current: dict[str, Any] = {}
    found: dict[str, Any] = {}
    if not parts:
        return current, found
    with connections[database].cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for name, pk, member in cursor.fetchall():
            (current if member else found)[name] = pk
    return current, found


def add_to_existing_groups(user: Any, names: Sequence[str], database: str) -> set[str]:
    """Add a new user to the existing groups among ``names`` in one statement (databases
    that return rows from an INSERT); the names of the groups it was added to."""
    sql = _insert_from_select_sql(user.__class__, database)
    with connections[database].cursor() as cursor:
        marks = ", ".join(["%s"] * len(names))
        cursor.execute(sql.replace("{marks}", marks), [user.pk, *names])
        return {row[0] for row in cursor.fetchall()}


def create_user(
    user: Any, target: Sequence[str], fingerprint: str, now: Any, database: str
) -> set[str] | None:
    """Insert the new ``user``, its memberships of the existing groups among ``target``
    and its sync state in one statement: a ``WITH`` of three ``INSERT``\\ s, where the
    database runs them (PostgreSQL) and the ORM's ``save()`` would do nothing more than
    the ``INSERT`` (see :func:`_insert_fields`). Sets the user's primary key and state as
    ``save()`` does; returns the names of the groups it was added to.

    ``None`` (nothing written) elsewhere: the caller then saves the user, its groups and
    its state one after the other.
    """
    connection = connections[database]
    fields = _insert_fields(user, database)
    if fields is None or (target and not can_insert_from_select(user, database)):
        return None
    found = [field.pre_save(user, add=True) for field in fields]
    if any(hasattr(value, "resolve_expression") for value in found):
        return None  # an expression (a database default): the ORM compiles those
    values = [
        field.get_db_prep_save(value, connection)
        for field, value in zip(fields, found, strict=True)
    ]
    sql = _create_sql(user.__class__, database, bool(target))
    state = [fingerprint, connection.ops.adapt_datetimefield_value(now), True]
    with connection.cursor() as cursor:
        cursor.execute(
            sql.replace("{marks}", ", ".join(["%s"] * len(target))),
            [*values, *state, *target],
        )
        rows = cursor.fetchall()
    meta = user._meta
    setattr(user, meta.pk.attname, meta.pk.to_python(rows[0][0]))
    user._state.adding = False
    user._state.db = database
    return {row[1] for row in rows if row[1] is not None}


def can_insert_from_select(user: Any, database: str) -> bool:
    """Whether a new user's memberships can be written by one ``INSERT ... SELECT ...
    RETURNING``: on the databases it is tested on (PostgreSQL, SQLite 3.35+), when no
    ``m2m_changed`` receiver expects the ORM's signals."""
    through = user.__class__.groups.through
    connection = connections[database]
    return bool(
        connection.vendor in ("postgresql", "sqlite")
        and connection.features.can_return_rows_from_bulk_insert
        and through._meta.auto_created
        and not m2m_changed.has_listeners(through)
    )


def insert_state(user: Any, fingerprint: str, now: Any, database: str, *, created: bool) -> None:
    """``INSERT`` the user's sync state (a user just created in this transaction)."""
    connection = connections[database]
    sql = _state_sql(database, upsert=False)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [user.pk, fingerprint, connection.ops.adapt_datetimefield_value(now), created]
        )


def upsert_state(user: Any, fingerprint: str, now: Any, database: str) -> bool:
    """Insert or update the user's sync state in one statement, where the database has
    ``INSERT ... ON CONFLICT`` (PostgreSQL, SQLite); ``False`` elsewhere."""
    connection = connections[database]
    if connection.vendor not in ("postgresql", "sqlite"):
        return False
    sql = _state_sql(database, upsert=True)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [user.pk, fingerprint, connection.ops.adapt_datetimefield_value(now), False]
        )
    return True


def _column(model: Any, name: str) -> str:
    field: Any = model._meta.get_field(name)
    return str(field.column)


class _Groups(NamedTuple):
    """The quoted names of a user model's groups relation."""

    members: str  # the membership table
    member: str  # its column of the user
    target: str  # its column of the group
    table: str  # the group table
    pk: str  # its primary key
    name: str  # its name column


@functools.cache
def _groups(model: Any, database: str) -> _Groups:
    relation: Any = model._meta.get_field("groups")
    group = relation.related_model._meta
    quote = connections[database].ops.quote_name
    return _Groups(
        members=quote(relation.remote_field.through._meta.db_table),
        member=quote(relation.m2m_column_name()),
        target=quote(relation.m2m_reverse_name()),
        table=quote(group.db_table),
        pk=quote(group.pk.column),
        name=quote(_column(relation.related_model, "name")),
    )


@functools.cache
def _membership_sql(model: Any, database: str) -> tuple[str, str]:
    """The two halves of :func:`memberships`: the user's groups, the target groups (with
    ``{marks}`` for the placeholders of the names)."""
    g = _groups(model, database)
    return (
        f"SELECT g.{g.name}, g.{g.pk}, 1 FROM {g.members} m "  # noqa: S608
        f"INNER JOIN {g.table} g ON g.{g.pk} = m.{g.target} WHERE m.{g.member} = %s",
        f"SELECT {g.name}, {g.pk}, 0 FROM {g.table} WHERE {g.name} IN ({{marks}})",  # noqa: S608
    )


@functools.cache
def _insert_from_select_sql(model: Any, database: str) -> str:
    g = _groups(model, database)
    return (
        f"INSERT INTO {g.members} ({g.member}, {g.target}) "  # noqa: S608
        f"SELECT %s, g.{g.pk} FROM {g.table} g WHERE g.{g.name} IN ({{marks}}) "
        f"RETURNING (SELECT n.{g.name} FROM {g.table} n WHERE n.{g.pk} = {g.members}.{g.target})"
    )


@functools.cache
def _state_columns(database: str) -> tuple[str, str, str, str]:
    """The quoted columns of ``SyncState``: user, fingerprint, synced_at, created_user."""
    quote = connections[database].ops.quote_name
    user, fingerprint, synced_at, created = (
        quote(_column(SyncState, name))
        for name in ("user", "fingerprint", "synced_at", "created_user")
    )
    return user, fingerprint, synced_at, created


@functools.cache
def _state_sql(database: str, *, upsert: bool) -> str:
    quote = connections[database].ops.quote_name
    user, fingerprint, synced_at, created = _state_columns(database)
    sql = (
        f"INSERT INTO {quote(SyncState._meta.db_table)} "  # noqa: S608
        f"({user}, {fingerprint}, {synced_at}, {created}) VALUES (%s, %s, %s, %s)"
    )
    if upsert:
        sql += (
            f" ON CONFLICT ({user}) DO UPDATE SET {fingerprint} = EXCLUDED.{fingerprint}, "
            f"{synced_at} = EXCLUDED.{synced_at}"
        )
    return sql


def _insert_fields(user: Any, database: str) -> list[Any] | None:
    """The columns ``save()`` would insert for the new ``user``, when an ``INSERT`` of
    their values is all it would do; ``None`` otherwise.

    That is: on PostgreSQL (a ``WITH`` may hold ``INSERT``\\ s); a user model without
    parents, ordering, its own ``save()`` or receivers of ``pre_save``/``post_save``; an
    automatic primary key not yet set; no field with its own placeholder SQL.
    """
    model = user.__class__
    meta = model._meta
    if (
        connections[database].vendor != "postgresql"
        or meta.parents
        or meta.order_with_respect_to
        or model.save is not AbstractBaseUser.save
        or meta.pk is not meta.auto_field
        or getattr(user, meta.pk.attname) is not None
        or list(meta.db_returning_fields) != [meta.pk]
        or pre_save.has_listeners(model)
        or post_save.has_listeners(model)
    ):
        return None
    fields = _inserted(model)
    if any(
        hasattr(field, "get_placeholder") or hasattr(field, "get_placeholder_sql")
        for field in fields
    ):
        return None
    return fields


@functools.cache
def _inserted(model: Any) -> list[Any]:
    """The columns of a new row of ``model`` whose primary key the database sets."""
    meta = model._meta
    return [
        field
        for field in meta.local_concrete_fields
        if field is not meta.pk and not getattr(field, "generated", False)
    ]


@functools.cache
def _create_sql(model: Any, database: str, groups: bool) -> str:
    """The statement of :func:`create_user` (with ``{marks}`` for the group names)."""
    meta = model._meta
    quote = connections[database].ops.quote_name
    fields = _inserted(model)
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    pk = quote(meta.pk.column)
    state_columns = ", ".join(_state_columns(database))
    sql = (
        f"WITH u AS (INSERT INTO {quote(meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({marks}) RETURNING {pk}), "
        f"s AS (INSERT INTO {quote(SyncState._meta.db_table)} ({state_columns}) "
        f"SELECT u.{pk}, %s, %s, %s FROM u)"
    )
    if not groups:
        return f"{sql} SELECT u.{pk}, NULL FROM u"  # noqa: S608
    g = _groups(model, database)
    return (
        f"{sql}, m AS (INSERT INTO {g.members} ({g.member}, {g.target}) "  # noqa: S608
        f"SELECT u.{pk}, g.{g.pk} FROM u CROSS JOIN {g.table} g "
        f"WHERE g.{g.name} IN ({{marks}}) RETURNING {g.target}) "
        f"SELECT u.{pk}, g.{g.name} FROM u LEFT JOIN m ON TRUE "
        f"LEFT JOIN {g.table} g ON g.{g.pk} = m.{g.target}"
    )
