"""Sort the SQL a request ran: reads, writes, transaction control, and columns written."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = ["TRANSACTION", "data_statements", "kind", "updated_columns", "writes"]

#: Statements that open or close a transaction or savepoint: Django logs them too.
TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")

#: A write and its table, also inside a data-modifying ``WITH`` (several per statement).
_WRITE = re.compile(r'\b(?P<verb>INSERT(?: OR IGNORE)? INTO|UPDATE|DELETE FROM) "(?P<table>[^"]+)"')
_SET = re.compile(r'"(?P<column>[^"]+)" = ')


def kind(sql: str) -> str:
    """``"transaction"``, ``"write"`` (INSERT, UPDATE, DELETE, or a ``WITH`` that holds
    one) or ``"read"``."""
    head = sql.lstrip().upper()
    if head.startswith(TRANSACTION):
        return "transaction"
    if head.startswith(("INSERT", "UPDATE", "DELETE")):
        return "write"
    if head.startswith("WITH") and _WRITE.search(sql):
        return "write"
    return "read"


def data_statements(statements: Iterable[str]) -> list[str]:
    """The statements without transaction control (``BEGIN``, ``COMMIT``, savepoints)."""
    return [sql for sql in statements if kind(sql) != "transaction"]


def writes(statements: Iterable[str]) -> list[str]:
    """``"VERB table"`` for each table a statement writes, e.g. ``"UPDATE auth_user"``;
    a ``WITH`` that inserts into three tables counts three."""
    found = []
    for sql in statements:
        if kind(sql) == "write":
            tables = [f"{m['verb'].split()[0]} {m['table']}" for m in _WRITE.finditer(sql)]
            found.extend(tables or [f"{sql.split()[0]} ?"])
    return found


def updated_columns(statements: Sequence[str], table: str) -> list[str]:
    """The columns that the ``UPDATE``s of ``table`` set, in order, repeats kept."""
    columns: list[str] = []
    prefix = f'UPDATE "{table}" SET '
    for sql in statements:
        start = sql.find(prefix) if kind(sql) == "write" else -1
        if start >= 0:
            assignments = sql[start + len(prefix) :].split(" WHERE ", 1)[0]
            columns.extend(match["column"] for match in _SET.finditer(assignments))
    return columns
