"""Query budgets: the performance targets that are counts, not timings.

Exact SQL statement counts of the requests that matter, on SQLite and on PostgreSQL, set
against Django's own ``RemoteUserMiddleware`` + ``RemoteUserBackend`` on the same
settings, with the identity the benchmarks use (Authelia's four headers, 10 groups):

- the steady state (signed in, identity unchanged), here behind the core's WSGI layer
  too: the two statements Django's own stack runs (session, user), no write;
- an identity change (a group more and another e-mail address): 4 statements beyond the
  steady state on SQLite, 5 on PostgreSQL (the row lock), the fingerprint's write
  included, and no session write;
- a change of the sync configuration: the same re-sync, once;
- the first request of a new user: the user created with its fields, its groups and its
  fingerprint; on PostgreSQL in one statement (what Django's own first login costs),
  elsewhere in three;
- an existing, synced user with a fresh session: what Django's own login costs.

``scripts/bench`` measures the time of the same requests. Statements are counted as
Django's query log has them, without transaction control: the test database wraps each
test in a transaction, so an ``atomic`` block logs ``SAVEPOINT`` / ``RELEASE SAVEPOINT``
here where a site logs ``BEGIN`` / ``COMMIT``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connections
from django.db.models.signals import post_save
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from webtest import TestApp

from remote_identity.wsgi import RemoteIdentityMiddleware as WSGIMiddleware
from remote_identity_django.conf import gate_options
from remote_identity_django.models import SyncState
from tests.djangoapp.support import OURS, STOCK, authelia, receiver

GROUPS = ("staff", "editors", *(f"group-{n}" for n in range(2, 10)))
ADDED_GROUP = "group-10"

TRANSACTION = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
POSTGRES = bool(os.environ.get("REMOTE_IDENTITY_TEST_POSTGRES"))


@pytest.fixture(
    params=[
        pytest.param("default", id="sqlite", marks=pytest.mark.django_db),
        pytest.param(
            "postgres",
            id="postgresql",
            marks=[
                pytest.mark.skipif(not POSTGRES, reason="REMOTE_IDENTITY_TEST_POSTGRES is not set"),
                pytest.mark.django_db(databases=["default", "postgres"]),
            ],
        ),
    ]
)
def database(request: Any, settings: Any) -> str:
    """The database alias every query goes to, with the proxy's groups created."""
    if request.param == "postgres":
        settings.DATABASE_ROUTERS = ["tests.djangoapp.routers.PostgresRouter"]
    Group.objects.bulk_create(Group(name=name) for name in (*GROUPS, ADDED_GROUP, "admins"))
    return str(request.param)


def headers(user: str = "alice", *, changed: bool = False) -> dict[str, str]:
    """The benchmarks' identity; ``changed``: one group more and another e-mail."""
    groups = (*GROUPS, ADDED_GROUP) if changed else GROUPS
    email = f"{user}@new.example.com" if changed else f"{user}@example.com"
    return authelia(user, email=email, groups=",".join(groups))


def configure(settings: Any, stack: dict[str, list[str]]) -> None:
    for name, value in stack.items():
        setattr(settings, name, value)


def statements(database: str, client: Client, sent: dict[str, str]) -> list[str]:
    """The data statements of one request to ``/whoami/`` (transaction control left out)."""
    with CaptureQueriesContext(connections[database]) as captured:
        response = client.get("/whoami/", headers=sent)
    assert response.status_code == 200
    assert response.content.decode() == sent["Remote-User"]
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION)]


def writes(sql: list[str]) -> list[str]:
    """``"VERB table"`` of each write; ``"INSERT a+b"`` for a ``WITH`` of ``INSERT``\\ s."""
    found = []
    for statement in sql:
        if statement.startswith(("INSERT", "UPDATE", "DELETE")):
            found.append(f"{statement.split()[0]} {statement.split(chr(34))[1]}")
        elif statement.startswith("WITH") and "INSERT INTO" in statement:
            tables = [part.split(chr(34))[1] for part in statement.split("INSERT INTO ")[1:]]
            found.append(f"INSERT {'+'.join(tables)}")
    return found


def row_lock(database: str) -> list[str]:
    """The sync's ``SELECT ... FOR UPDATE``: where the database has row locks."""
    return ["lock"] if connections[database].features.has_select_for_update else []


def kinds(sql: list[str]) -> list[str]:
    """Each statement as ``"lock"``, ``"read"`` or ``"VERB table"``."""
    return [
        "lock" if s.endswith("FOR UPDATE") else writes([s])[0] if writes([s]) else "read"
        for s in sql
    ]


def test_steady_state_behind_the_wsgi_layer_costs_what_django_costs(
    settings: Any, database: str
) -> None:
    # As the example site runs: the core's WSGI middleware judges, Django's uses its verdict.
    configure(settings, OURS)
    # As Django's test client does: the test's transaction must outlive each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    try:
        steady_behind_the_wsgi_layer(database)
    finally:
        for signal in (request_started, request_finished):
            signal.connect(close_old_connections)


def steady_behind_the_wsgi_layer(database: str) -> None:
    app = TestApp(WSGIMiddleware(WSGIHandler(), **gate_options()))
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    assert app.get("/whoami/", headers=headers(), extra_environ=environ).text == "alice"
    for _ in range(3):
        with CaptureQueriesContext(connections[database]) as captured:
            assert app.get("/whoami/", headers=headers(), extra_environ=environ).text == "alice"
        # Load the session, load the user (with its stored fingerprint). No write.
        sql = [q["sql"] for q in captured.captured_queries]
        assert [s.split()[0] for s in sql] == ["SELECT", "SELECT"]
        assert "remote_identity_django_syncstate" in sql[1]


def test_changed_identity_writes_only_what_changed(settings: Any, database: str) -> None:
    configure(settings, OURS)
    client = Client()
    statements(database, client, headers())
    user_id = User.objects.get().pk
    steady = statements(database, client, headers())
    sql = statements(database, client, headers(changed=True))
    # The row lock (PostgreSQL), the e-mail column, the groups (current and wanted, one
    # SELECT), the added group, the fingerprint (one upsert). No session write.
    assert kinds(sql) == [
        "read",
        "read",
        *row_lock(database),
        "UPDATE auth_user",
        "read",
        "INSERT auth_user_groups",
        "INSERT remote_identity_django_syncstate",
    ]
    assert len(sql) - len(steady) == 4 + len(row_lock(database))
    assert [s for s in sql if s.startswith('UPDATE "auth_user"')] == [
        f'UPDATE "auth_user" SET "email" = \'alice@new.example.com\' '
        f'WHERE "auth_user"."id" = {user_id}'
    ]
    assert set(User.objects.get().groups.values_list("name", flat=True)) == {
        *GROUPS,
        ADDED_GROUP,
    }
    # The next request is the steady state again.
    assert len(statements(database, client, headers(changed=True))) == len(steady)


def test_configuration_change_resyncs_once(settings: Any, database: str) -> None:
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_superuser": ["staff"]}
    configure(settings, OURS)
    client = Client()
    statements(database, client, headers())
    assert User.objects.get().is_superuser
    steady = statements(database, client, headers())
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_superuser": ["admins"]}
    sql = statements(database, client, headers())
    assert kinds(sql) == [
        "read",
        "read",
        *row_lock(database),
        "UPDATE auth_user",
        "read",
        "INSERT remote_identity_django_syncstate",
    ]
    assert not User.objects.get().is_superuser
    assert len(statements(database, client, headers())) == len(steady)


def test_first_request_of_a_new_user(settings: Any, database: str) -> None:
    configure(settings, STOCK)
    stock = statements(database, Client(), headers("new-stock"))
    configure(settings, OURS)
    ours = statements(database, Client(), headers("new-ours"))
    # Django's own: get_or_create (SELECT, INSERT), the session (a free key, INSERT),
    # last_login, the session's data.
    assert writes(stock) == [
        "INSERT auth_user",
        "INSERT django_session",
        "UPDATE auth_user",
        "UPDATE django_session",
    ]
    assert len(stock) == 6
    # Ours: the user with its fields, its 10 groups (an INSERT that reads their ids) and
    # its fingerprint; on PostgreSQL in one statement, elsewhere in three. Then the same
    # login.
    if connections[database].vendor == "postgresql":
        created = ["INSERT auth_user+remote_identity_django_syncstate+auth_user_groups"]
    else:
        created = [
            "INSERT auth_user",
            "INSERT auth_user_groups",
            "INSERT remote_identity_django_syncstate",
        ]
    assert writes(ours) == [*created, *writes(stock)[1:]]
    assert len(ours) == len(stock) + len(created) - 1
    insert = next(s for s in ours if 'INSERT INTO "auth_user" ' in s)
    assert "new-ours@example.com" in insert
    assert "Jörn" not in insert  # authelia()'s default name, as sent
    assert User.objects.get(username="new-ours").groups.count() == len(GROUPS)


def test_existing_user_with_a_fresh_session(settings: Any, database: str) -> None:
    for stack in (STOCK, OURS):
        configure(settings, stack)
        statements(database, Client(), headers())  # the user exists, synced
    configure(settings, STOCK)
    stock = statements(database, Client(), headers())
    configure(settings, OURS)
    ours = statements(database, Client(), headers())
    # The stored fingerprint says the user is up to date: Django's login, nothing more.
    login = ["INSERT django_session", "UPDATE auth_user", "UPDATE django_session"]
    assert writes(stock) == login
    assert writes(ours) == login
    assert len(ours) == len(stock)


def first_request(database: str, username: str) -> tuple[dict[str, Any], list[str]]:
    """Sign ``username`` in for the first time: what the request wrote (the user's
    columns, its groups, its sync state) and the statements that inserted the user."""
    sent = authelia(username, email=f"{username}@example.com", groups="staff,editors,new-team")
    client = Client()
    with receiver() as synced, CaptureQueriesContext(connections[database]) as captured:
        response = client.get("/whoami/", headers=sent)
    assert response.status_code == 200
    [signal] = synced
    user = User.objects.get(username=username)
    state = SyncState.objects.get(user=user)
    written = {
        **model_to_dict(user, exclude=["id", "password", "groups", "user_permissions"]),
        "usable_password": user.has_usable_password(),
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "state": (state.created_user, len(state.fingerprint), state.synced_at is not None),
        # What identity_synced (and the audit log) reports, the new user's name aside.
        "synced": (
            signal["created"],
            signal["changed"],
            [event for event in signal["events"] if event.event != "user_created"],
        ),
    }
    # The stored fingerprint is the one the next request expects: the steady state.
    assert len(statements(database, client, sent)) == 2
    sql = [query["sql"] for query in captured.captured_queries]
    inserts = [statement for statement in sql if 'INSERT INTO "auth_user" ' in statement]
    return written, inserts


def test_a_first_request_writes_the_same_user_in_one_statement_or_three(
    settings: Any, database: str
) -> None:
    configure(settings, OURS)
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True  # new-team is created after the INSERT
    settings.REMOTE_IDENTITY_DEFAULT_GROUPS = ["everyone"]
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {
        "is_staff": ["staff"],
        "is_superuser": ["admins"],
    }
    direct, direct_inserts = first_request(database, "direct")
    # A post_save receiver needs the ORM's save(): the user is inserted on its own.
    saved: list[tuple[str, bool]] = []

    def on_save(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
        saved.append((instance.get_username(), created))

    post_save.connect(on_save, sender=User)
    try:
        orm, orm_inserts = first_request(database, "orm")
    finally:
        post_save.disconnect(on_save, sender=User)
    assert ("orm", True) in saved
    assert [q.split()[0] for q in orm_inserts] == ["INSERT"]
    one_statement = connections[database].vendor == "postgresql"
    assert [q.split()[0] for q in direct_inserts] == ["WITH" if one_statement else "INSERT"]
    for written, name in ((direct, "direct"), (orm, "orm")):
        assert written.pop("username") == name
        assert written.pop("email") == f"{name}@example.com"
        assert written.pop("date_joined") <= written.pop("last_login")
    assert direct == orm
    assert direct["groups"] == ["editors", "everyone", "new-team", "staff"]
    assert direct["is_staff"]
    assert not direct["is_superuser"]
    assert direct["first_name"] == "Alice Liddell"
    assert direct["usable_password"] is False
    assert direct["state"] == (True, 64, True)
    assert direct["synced"] == (
        True,
        (
            "email",
            "first_name",
            "groups+editors",
            "groups+everyone",
            "groups+new-team",
            "groups+staff",
            "is_staff",
        ),
        [
            ("flag_granted", "is_staff"),
            ("group_added", "staff"),
            ("group_added", "editors"),
            ("group_added", "new-team"),
            ("group_added", "everyone"),
        ],
    )
