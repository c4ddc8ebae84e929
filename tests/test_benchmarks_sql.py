"""How the benchmarks sort the SQL a request ran (``benchmarks/sql.py``): the statement
counts and the writes of their tables and targets rest on it, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from benchmarks.sql import data_statements, kind, updated_columns, writes

#: A first login in one data-modifying statement: the user, its groups, its fingerprint.
CREATE_USER = (
    'WITH u AS (INSERT INTO "auth_user" ("username", "email") VALUES (%s, %s) RETURNING '
    '"id"), g AS (INSERT INTO "auth_user_groups" ("user_id", "group_id") SELECT u."id", '
    'g."id" FROM u, "auth_group" g WHERE g."name" IN (%s)) INSERT INTO '
    '"remote_identity_django_syncstate" ("user_id", "fingerprint") SELECT u."id", %s FROM u '
    'RETURNING "user_id"'
)
FINGERPRINT = (
    'INSERT INTO "remote_identity_django_syncstate" ("user_id", "fingerprint") VALUES (2, '
    '\'f\') ON CONFLICT ("user_id") DO UPDATE SET "fingerprint" = EXCLUDED."fingerprint"'
)


@pytest.mark.parametrize(
    ("sql", "expected_kind", "expected_writes"),
    [
        pytest.param("BEGIN", "transaction", [], id="begin"),
        pytest.param('RELEASE SAVEPOINT "s1"', "transaction", [], id="release"),
        pytest.param('SELECT "id" FROM "auth_user" WHERE "id" = 1', "read", [], id="select"),
        pytest.param(
            'SELECT "email" FROM "auth_user" WHERE "id" = 2 LIMIT 21 FOR UPDATE',
            "read",
            [],
            id="row-lock",
        ),
        pytest.param("WITH x AS (SELECT 1) SELECT * FROM x", "read", [], id="with-read-only"),
        pytest.param(
            'UPDATE "auth_user" SET "email" = \'a@b.example\' WHERE "id" = 2',
            "write",
            ["UPDATE auth_user"],
            id="update",
        ),
        pytest.param(
            FINGERPRINT, "write", ["INSERT remote_identity_django_syncstate"], id="upsert"
        ),
        pytest.param(
            CREATE_USER,
            "write",
            [
                "INSERT auth_user",
                "INSERT auth_user_groups",
                "INSERT remote_identity_django_syncstate",
            ],
            id="with-insert-three-tables",
        ),
        pytest.param(
            'INSERT OR IGNORE INTO "auth_user_groups" VALUES (1, 2)',
            "write",
            ["INSERT auth_user_groups"],
            id="sqlite-or-ignore",
        ),
    ],
)
def test_kind_and_writes(sql: str, expected_kind: str, expected_writes: list[str]) -> None:
    assert kind(sql) == expected_kind
    assert writes([sql]) == expected_writes


def test_data_statements_leave_out_transaction_control() -> None:
    statements = ["BEGIN", CREATE_USER, 'SELECT 1 FROM "django_session"', "COMMIT"]
    assert data_statements(statements) == statements[1:3]


@pytest.mark.parametrize(
    ("statements", "expected"),
    [
        pytest.param(
            ['UPDATE "auth_user" SET "email" = \'x\', "last_name" = \'y\' WHERE "id" = 1'],
            ["email", "last_name"],
            id="two-columns",
        ),
        pytest.param(
            [
                'UPDATE "auth_user" SET "last_login" = now() WHERE "id" = 1',
                'UPDATE "django_session" SET "session_data" = \'z\' WHERE "session_key" = \'k\'',
            ],
            ["last_login"],
            id="other-table-left-out",
        ),
        pytest.param([FINGERPRINT], [], id="upsert-sets-no-user-column"),
        pytest.param(['SELECT \'UPDATE "auth_user" SET "email" = 1\''], [], id="text-in-a-read"),
    ],
)
def test_updated_columns(statements: list[str], expected: list[str]) -> None:
    assert updated_columns(statements, "auth_user") == expected
