"""PostgreSQL for the example site: one private cluster, a fresh database per test run.

``REMOTE_IDENTITY_TEST_POSTGRES`` (set by ``scripts/test`` and ``scripts/test-e2e``) names
a running cluster whose role may create databases; without it, ``scripts/postgres``
starts a throwaway cluster for this run.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

from .net import free_port, require_loopback
from .processes import run_checked

ENV_VAR = "REMOTE_IDENTITY_TEST_POSTGRES"
SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "postgres"


def with_database(dsn: str, name: str) -> str:
    """``dsn`` pointing at database ``name`` instead."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def cluster() -> Iterator[str]:
    """The DSN of a running cluster: the one in ``$REMOTE_IDENTITY_TEST_POSTGRES``, or a
    throwaway one started (and stopped afterwards) with ``scripts/postgres``."""
    dsn = os.environ.get(ENV_VAR)
    if dsn:
        require_loopback(urlsplit(dsn).hostname or "")
        yield dsn
        return
    # A new directory directly under /tmp: the postgres user must reach it (see the script).
    directory = f"/tmp/ri-e2e-pg-{os.getpid()}-{secrets.token_hex(3)}"
    output = run_checked([str(SCRIPT), "start", directory, str(free_port())], timeout=120)
    try:
        yield output.strip().splitlines()[-1]
    finally:
        run_checked([str(SCRIPT), "stop", directory], timeout=60)
        run_checked(["rm", "-rf", directory], timeout=60)


@contextmanager
def fresh_database(dsn: str, prefix: str = "e2e") -> Iterator[str]:
    """Create an empty database in the cluster of ``dsn``; its DSN. Dropped afterwards."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(dsn, name)
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def query(dsn: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Run one read query; its rows."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql, params).fetchall()


def user_groups(dsn: str, username: str) -> list[str]:
    """The sorted names of the Django groups of ``username``."""
    rows = query(
        dsn,
        "SELECT g.name FROM auth_user u JOIN auth_user_groups ug ON ug.user_id = u.id "
        "JOIN auth_group g ON g.id = ug.group_id WHERE u.username = %s ORDER BY g.name",
        (username,),
    )
    return [str(row[0]) for row in rows]


def count_users(dsn: str, username: str) -> int:
    """How many ``auth_user`` rows have this username."""
    rows = query(dsn, "SELECT count(*) FROM auth_user WHERE username = %s", (username,))
    return int(str(rows[0][0]))
