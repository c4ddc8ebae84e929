"""Query budgets: the performance targets that are counts, not timings.

Exact SQL statement counts of the requests that matter, set against Django's own
``RemoteUserMiddleware`` + ``RemoteUserBackend`` on the same settings, with the
identity the benchmarks use (Authelia's four headers, 10 groups). They complement
``test_django_queries.py`` (steady state and login writes under the Django middleware
alone): here the steady state behind the core's WSGI layer, an identity change of a
group *and* the e-mail, the first request of a new user and an existing user with a
fresh session. ``scripts/bench`` measures the time of the same requests.

Statements are counted as Django's query log has them, without transaction control:
the test database wraps each test in a transaction, so an ``atomic`` block logs
``SAVEPOINT`` / ``RELEASE SAVEPOINT`` here where a site logs ``BEGIN`` / ``COMMIT``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from webtest import TestApp

from remote_identity.wsgi import RemoteIdentityMiddleware as WSGIMiddleware
from remote_identity_django.conf import gate_options
from tests.djangoapp.support import OURS, STOCK, authelia

pytestmark = pytest.mark.django_db

GROUPS = ("staff", "editors", *(f"group-{n}" for n in range(2, 10)))
ADDED_GROUP = "group-10"

TRANSACTION = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")


def headers(user: str = "alice", *, changed: bool = False) -> dict[str, str]:
    """The benchmarks' identity; ``changed``: one group more and another e-mail."""
    groups = (*GROUPS, ADDED_GROUP) if changed else GROUPS
    email = f"{user}@new.example.com" if changed else f"{user}@example.com"
    return authelia(user, email=email, groups=",".join(groups))


@pytest.fixture(autouse=True)
def groups() -> None:
    Group.objects.bulk_create(Group(name=name) for name in (*GROUPS, ADDED_GROUP))


def configure(settings: Any, stack: dict[str, list[str]]) -> None:
    for name, value in stack.items():
        setattr(settings, name, value)


def statements(client: Client, sent: dict[str, str]) -> list[str]:
    """The data statements of one request to ``/whoami/`` (transaction control left out)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/whoami/", headers=sent)
    assert response.status_code == 200
    assert response.content.decode() == sent["Remote-User"]
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(TRANSACTION)]


def writes(sql: list[str]) -> list[str]:
    """``"VERB table"`` of each write."""
    found = []
    for statement in sql:
        if statement.startswith(("INSERT", "UPDATE", "DELETE")):
            found.append(f"{statement.split()[0]} {statement.split(chr(34))[1]}")
    return found


def test_steady_state_behind_the_wsgi_layer_costs_what_django_costs(
    settings, django_assert_num_queries
) -> None:
    # As the example site runs: the core's WSGI middleware judges, Django's uses its verdict.
    configure(settings, OURS)
    app = TestApp(WSGIMiddleware(WSGIHandler(), **gate_options()))
    environ = {"REMOTE_ADDR": "127.0.0.1"}
    assert app.get("/whoami/", headers=headers(), extra_environ=environ).text == "alice"
    for _ in range(3):
        # Load the session, load the user: what Django's own stack costs. No write.
        with django_assert_num_queries(2) as captured:
            assert app.get("/whoami/", headers=headers(), extra_environ=environ).text == "alice"
        assert all(q["sql"].startswith("SELECT") for q in captured.captured_queries)


def test_changed_identity_writes_only_what_changed(settings) -> None:
    configure(settings, OURS)
    client = Client()
    statements(client, headers())
    user_id = User.objects.get().pk
    sql = statements(client, headers(changed=True))
    assert writes(sql) == ["UPDATE auth_user", "INSERT auth_user_groups", "UPDATE django_session"]
    # One column: the e-mail. Name, flags and the rest of the row are not rewritten.
    assert [s for s in sql if s.startswith("UPDATE") and "auth_user" in s] == [
        f'UPDATE "auth_user" SET "email" = \'alice@new.example.com\' '
        f'WHERE "auth_user"."id" = {user_id}'
    ]
    assert set(User.objects.get().groups.values_list("name", flat=True)) == {
        *GROUPS,
        ADDED_GROUP,
    }


def test_changed_identity_within_four_statements_of_the_steady_state(settings) -> None:
    configure(settings, OURS)
    client = Client()
    statements(client, headers())
    steady = statements(client, headers())
    changed = statements(client, headers(changed=True))
    # The groups (current and wanted, one SELECT), UPDATE auth_user, INSERT
    # auth_user_groups, UPDATE django_session. On a database with row locks
    # (PostgreSQL), the sync's SELECT ... FOR UPDATE makes one more.
    assert len(changed) - len(steady) <= 4


def test_first_request_of_a_new_user(settings) -> None:
    configure(settings, STOCK)
    stock = statements(Client(), headers("new-stock"))
    configure(settings, OURS)
    ours = statements(Client(), headers("new-ours"))
    # Beyond Django's own (get_or_create, session, last_login): the sync sets name and
    # e-mail in one UPDATE, reads the groups (current and wanted) in one SELECT and adds
    # the 10 groups in one INSERT.
    assert len(stock) == 6
    assert len(ours) == len(stock) + 3
    assert writes(ours) == [
        "INSERT auth_user",
        "UPDATE auth_user",
        "INSERT auth_user_groups",
        *writes(stock)[1:],
    ]


def test_existing_user_with_a_fresh_session(settings) -> None:
    for stack in (STOCK, OURS):
        configure(settings, stack)
        statements(Client(), headers())  # the user exists, synced
    configure(settings, STOCK)
    stock = statements(Client(), headers())
    configure(settings, OURS)
    ours = statements(Client(), headers())
    # The identity is unchanged: the same writes as Django's login (session, last_login),
    # and one read more, the groups.
    login = ["INSERT django_session", "UPDATE auth_user", "UPDATE django_session"]
    assert writes(stock) == login
    assert writes(ours) == login
    assert len(ours) == len(stock) + 1
