"""A database router sending every query to the ``postgres`` alias."""

from __future__ import annotations

from typing import Any


class PostgresRouter:
    """Routes all reads and writes to ``postgres`` (``test_django_postgres.py``)."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        return "postgres"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "postgres"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True
