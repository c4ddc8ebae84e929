"""Concurrency on PostgreSQL, one connection per thread: first requests of one new user,
syncs of one user, and one session whose requests carry two identities at once.

Runs when ``REMOTE_IDENTITY_TEST_POSTGRES`` holds a DSN (``scripts/postgres start DIR``
prints one); otherwise skipped with a message saying so, or failed in CI (marker
``postgres``, see ``tests/availability.py``).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connections
from django.db.models import Value
from django.db.models.functions import Upper
from django.test import Client
from django.utils import timezone

from remote_identity_django import statements
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


# --- one session, two identities at once: the database always ends as the last sync ----

SUPERUSER_SETTINGS = {
    "REMOTE_IDENTITY_USER_FLAGS_BY_GROUP": {"is_staff": ["admins"], "is_superuser": ["admins"]},
    "REMOTE_IDENTITY_CREATE_GROUPS": True,
}
AS_A = authelia("alice", email="a@example.com", groups="admins")  # superuser
AS_B = authelia("alice", email="b@example.com", groups="")  # no groups, no flags
AS_C = authelia("alice", email="c@example.com", groups="editors")


def row_of_alice() -> tuple[bool, str, list[str], str]:
    from remote_identity_django.models import SyncState

    user = User.objects.get(username="alice")
    groups = sorted(user.groups.values_list("name", flat=True))
    return user.is_superuser, user.email, groups, SyncState.objects.get(user=user).fingerprint


def fingerprint_of(headers: dict[str, str]) -> str:
    from remote_identity import Identity
    from remote_identity_django.backends import RemoteIdentityBackend

    groups = tuple(g for g in headers["Remote-Groups"].split(",") if g)
    identity = Identity("alice", headers["Remote-Name"], headers["Remote-Email"], groups)
    return RemoteIdentityBackend().sync_fingerprint(identity)


def expected_row(headers: dict[str, str]) -> tuple[bool, str, list[str], str]:
    groups = sorted(g for g in headers["Remote-Groups"].split(",") if g)
    return "admins" in groups, headers["Remote-Email"], groups, fingerprint_of(headers)


def session_client(cookies: Any) -> Client:
    client = Client()
    client.cookies.load({key: morsel.value for key, morsel in cookies.items()})
    return client


@contextmanager
def slow_sync_of(headers: dict[str, str], seconds: float) -> Iterator[None]:
    """An ``identity_synced`` receiver that spends ``seconds`` in the sync of that
    identity (slow site code, a loaded server); always disconnected."""
    from remote_identity_django.signals import identity_synced

    def slow(*, identity: Any, **kwargs: Any) -> None:
        if identity.email == headers["Remote-Email"]:
            time.sleep(seconds)

    identity_synced.connect(slow, weak=False)
    try:
        yield
    finally:
        identity_synced.disconnect(slow)


def both(first: Callable[[], Any], second: Callable[[], Any], delay: float) -> list[Any]:
    """Run ``first`` now and ``second`` ``delay`` seconds later, in threads; results."""
    results: list[Any] = [None, None]

    def run(index: int, work: Callable[[], Any], wait: float) -> None:
        try:
            time.sleep(wait)
            results[index] = work()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion of the caller
            results[index] = exc
        finally:
            close_thread_connections()

    threads = [
        threading.Thread(target=run, args=(0, first, 0.0)),
        threading.Thread(target=run, args=(1, second, delay)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("round_number", range(10))
def test_demoted_while_a_promotion_is_in_flight_never_stays_superuser(
    settings, round_number
) -> None:
    # The session and the row at identity C. Two requests of that session at once: B (no
    # groups) whose sync is slow, and A (admins: superuser) a moment later, so that A's
    # sync commits while B's request is still running. Then one more request as B.
    for name, value in SUPERUSER_SETTINGS.items():
        setattr(settings, name, value)
    client = Client()
    assert client.get("/whoami/", headers=AS_C).content == b"alice"
    cookies = client.cookies

    def request(headers: dict[str, str]) -> Callable[[], bytes]:
        return lambda: bytes(session_client(cookies).get("/whoami/", headers=headers).content)

    with slow_sync_of(AS_B, 0.3):
        results = both(request(AS_B), request(AS_A), delay=0.1)
    assert results == [b"alice", b"alice"], round_number
    # The last sync to commit was A's: the row is A, whole, and says so.
    assert row_of_alice() == expected_row(AS_A), round_number
    # The next request as B sees that the row is not B, and re-syncs it.
    assert session_client(cookies).get("/whoami/", headers=AS_B).content == b"alice"
    assert row_of_alice() == expected_row(AS_B), round_number
    assert not User.objects.get(username="alice").is_staff


def test_a_long_alternating_run_ends_as_the_last_identity(settings) -> None:
    for name, value in SUPERUSER_SETTINGS.items():
        setattr(settings, name, value)
    client = Client()
    assert client.get("/whoami/", headers=AS_C).content == b"alice"
    cookies = client.cookies
    counter = itertools.count()  # next() on it is atomic: each request its own number

    def alternate() -> list[bytes]:
        seen = []
        for _ in range(25):
            headers = (AS_A, AS_B)[next(counter) % 2]
            seen.append(bytes(session_client(cookies).get("/whoami/", headers=headers).content))
        return seen

    with slow_sync_of(AS_B, 0.01):
        results = concurrently(alternate)  # 8 threads x 25 requests, one session
    assert all(result == [b"alice"] * 25 for result in results), results
    # Whatever committed last, the row is one whole identity, and says which.
    assert row_of_alice() in (expected_row(AS_A), expected_row(AS_B))
    for last in (AS_B, AS_A, AS_B):
        assert session_client(cookies).get("/whoami/", headers=last).content == b"alice"
        assert row_of_alice() == expected_row(last)


def test_a_new_user_holding_an_expression_is_left_to_the_orm() -> None:
    # The ORM compiles expressions (a database default, a function); the single
    # statement writes plain values only, and writes nothing when it cannot.
    user = User(username="expression", first_name=Upper(Value("x")))
    user.set_unusable_password()
    assert statements.create_user(user, ["editors"], "0" * 64, timezone.now(), "postgres") is None
    assert user.pk is None
    assert not User.objects.filter(username="expression").exists()
    user.save(using="postgres")
    assert User.objects.get(username="expression").first_name == "X"
