"""The sync's own SQL statements, written from the models' metadata.

Each replaces an ORM spelling that took longer to build than the database took to run
it, on a path that runs inside a request (a first sign-in, a changed identity).
Identifiers come from the models and are quoted by the connection; every value is a
parameter. Built once per model and database.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from django.db import connections

from .models import SyncState

__all__ = ["add_to_existing_groups", "insert_state", "memberships", "upsert_state"]


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


@functools.cache
def _membership_sql(model: Any, database: str) -> tuple[str, str]:
    """The two halves of :func:`memberships`: the user's groups, the target groups (with
    ``{marks}`` for the placeholders of the names)."""
    relation: Any = model._meta.get_field("groups")
    through = relation.remote_field.through._meta
    group = relation.related_model._meta
    quote = connections[database].ops.quote_name
    name, pk = quote(_column(relation.related_model, "name")), quote(group.pk.column)
    table = quote(group.db_table)
    member = quote(relation.m2m_column_name())
    target = quote(relation.m2m_reverse_name())
    return (
        f"SELECT g.{name}, g.{pk}, 1 FROM {quote(through.db_table)} m "  # noqa: S608
        f"INNER JOIN {table} g ON g.{pk} = m.{target} WHERE m.{member} = %s",
        f"SELECT {name}, {pk}, 0 FROM {table} WHERE {name} IN ({{marks}})",  # noqa: S608
    )


@functools.cache
def _insert_from_select_sql(model: Any, database: str) -> str:
    relation: Any = model._meta.get_field("groups")
    through = relation.remote_field.through._meta
    group = relation.related_model._meta
    quote = connections[database].ops.quote_name
    name, pk = quote(_column(relation.related_model, "name")), quote(group.pk.column)
    table, members = quote(group.db_table), quote(through.db_table)
    member = quote(relation.m2m_column_name())
    target = quote(relation.m2m_reverse_name())
    return (
        f"INSERT INTO {members} ({member}, {target}) "  # noqa: S608
        f"SELECT %s, g.{pk} FROM {table} g WHERE g.{name} IN ({{marks}}) "
        f"RETURNING (SELECT n.{name} FROM {table} n WHERE n.{pk} = {members}.{target})"
    )


@functools.cache
def _state_sql(database: str, *, upsert: bool) -> str:
    quote = connections[database].ops.quote_name
    user, fingerprint = quote(_column(SyncState, "user")), quote(_column(SyncState, "fingerprint"))
    synced_at, created = (
        quote(_column(SyncState, "synced_at")),
        quote(_column(SyncState, "created_user")),
    )
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
