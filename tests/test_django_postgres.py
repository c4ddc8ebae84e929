"""Concurrent first requests of one new user, on PostgreSQL, one connection per thread.

Runs when ``REMOTE_IDENTITY_TEST_POSTGRES`` holds a DSN (``scripts/postgres start DIR``
prints one); otherwise skipped with a message saying so, or failed in CI (marker
``postgres``, see ``tests/availability.py``).
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import Client

from tests.djangoapp.support import authelia

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, databases=["postgres"]),
]

WORKERS = 8


@pytest.fixture(autouse=True)
def on_postgres(settings) -> None:
    settings.DATABASE_ROUTERS = ["tests.djangoapp.routers.PostgresRouter"]
    assert connections["postgres"].vendor == "postgresql"


def close_thread_connections() -> None:
    """Close this thread's connections, the in-memory SQLite one included.

    Django's ``close()`` keeps an in-memory SQLite database open (closing would lose it);
    a thread's own is never used again, and Python 3.13 warns when it is collected open.
    """
    for connection in connections.all(initialized_only=True):
        if connection.vendor == "sqlite" and connection.connection is not None:
            connection.connection.close()
            connection.connection = None
    connections.close_all()


def concurrently(work: Any) -> list[Any]:
    """Run ``work()`` in WORKERS threads released together; results or exceptions."""
    barrier = threading.Barrier(WORKERS)
    results: list[Any] = [None] * WORKERS

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = exc
        finally:
            close_thread_connections()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_first_requests_of_a_new_user_create_one_user(settings) -> None:
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_staff": ["staff"]}
    Group.objects.create(name="editors")
    headers = authelia("newbie", groups="editors,staff,new-team")

    def first_request() -> tuple[int, bytes]:
        response = Client().get("/whoami/", headers=headers)
        return response.status_code, response.content

    assert concurrently(first_request) == [(200, b"newbie")] * WORKERS
    user = User.objects.get()
    assert (user.username, user.email, user.is_staff) == ("newbie", "alice@example.com", True)
    assert sorted(user.groups.values_list("name", flat=True)) == ["editors", "new-team", "staff"]
    assert Group.objects.count() == 3


def test_concurrent_resync_of_one_session(settings) -> None:
    client = Client()
    assert client.get("/whoami/", headers=authelia("alice")).content == b"alice"
    Group.objects.create(name="ops")
    changed = authelia("alice", email="new@example.com", groups="ops")

    def next_request() -> bytes:
        return bytes(client.get("/whoami/", headers=changed).content)

    assert concurrently(next_request) == [b"alice"] * WORKERS
    user = User.objects.get()
    assert user.email == "new@example.com"
    assert list(user.groups.values_list("name", flat=True)) == ["ops"]


def test_concurrent_syncs_of_one_user_never_mix_two_identities() -> None:
    from remote_identity import Identity
    from remote_identity_django.backends import RemoteIdentityBackend

    for name in ("editors", "reviewers", "auditors"):
        Group.objects.create(name=name)
    a = Identity("alice", "A", "a@example.com", ("editors", "reviewers"))
    b = Identity("alice", "B", "b@example.com", ("editors", "auditors"))
    user = User.objects.create(username="alice")
    RemoteIdentityBackend().sync(user, a)
    counter = itertools.count()  # next() on it is atomic: each worker gets its own number

    def sync() -> tuple[str, ...]:
        stale = User.objects.get(username="alice")  # each worker's own, stale copy
        return RemoteIdentityBackend().sync(stale, (a, b)[next(counter) % 2])

    for round_number in range(20):
        results = concurrently(sync)
        assert not [r for r in results if isinstance(r, Exception)], (round_number, results)
        user = User.objects.get()
        groups = tuple(user.groups.order_by("name").values_list("name", flat=True))
        assert (user.first_name, user.email, groups) in [
            ("A", "a@example.com", ("editors", "reviewers")),
            ("B", "b@example.com", ("auditors", "editors")),
        ], round_number
