"""Concurrency on PostgreSQL: the example site under gunicorn (4 workers x 4 threads).

- 64 simultaneous first requests of the same new user, through nginx from its recipe
  and the sign-in front, create exactly one user and get no error response;
- 1,000 requests alternating between two group sets for one user (8 at a time, one
  browser session), sent straight from the proxy's (trusted) address so that each
  request can carry its own groups: every request sees one whole set, never a mixture,
  the user's groups end equal to the last synced set, and nothing fails.

The stack's teardown fails the module if the server's log shows a traceback or an
IntegrityError.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

import pytest

from .harness import database
from .harness.client import Response, request
from .harness.net import ATTACKER, PROXY_SOURCE
from .harness.signin import SignInFront
from .harness.stacks import Stack, StackSpec, running_stack
from .harness.timing import Timings
from .harness.whoami import Seen

pytestmark = pytest.mark.e2e

T = TypeVar("T")

FIRST_REQUESTS = 64
ALTERNATING_REQUESTS = 1000
CLIENT_THREADS = 16
SET_A = ("editors", "reviewers")
SET_B = ("editors", "auditors")


@pytest.fixture(scope="module")
def busy_stack(
    front: SignInFront, example_database: str, e2e_dir: Path, timings: Timings
) -> Iterator[Stack]:
    """nginx in front of the example under gunicorn with 4 workers of 4 threads."""
    spec = StackSpec("nginx", "gunicorn")
    with ExitStack() as cleanup:
        with timings.stage("concurrency: start nginx + gunicorn (4 workers x 4 threads)"):
            stack = cleanup.enter_context(
                running_stack(
                    spec, front, example_database, e2e_dir / "concurrency", workers=4, threads=4
                )
            )
        yield stack


def all_at_once(count: int, send: Callable[[], T]) -> list[T]:
    """Run ``send`` in ``count`` threads released together; their results."""
    barrier = threading.Barrier(count, timeout=60)

    def released() -> T:
        barrier.wait()
        return send()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(released) for _ in range(count)]
        return [future.result(timeout=120) for future in futures]


@pytest.mark.parametrize("round_number", [1, 2, 3])
def test_simultaneous_first_requests_create_one_user(
    busy_stack: Stack,
    front: SignInFront,
    example_database: str,
    timings: Timings,
    round_number: int,
) -> None:
    username = f"newcomer-{secrets.token_hex(4)}"
    front.add_user(username, SET_A)
    cookies = front.sign_in(username)
    assert database.count_users(example_database, username) == 0

    def first_request() -> Response:
        return request(busy_stack.proxy_port, "/whoami.json", cookies=cookies, source=ATTACKER)

    with timings.stage(f"concurrency: {FIRST_REQUESTS} first requests, round {round_number}"):
        responses = all_at_once(FIRST_REQUESTS, first_request)

    statuses = sorted({response.status for response in responses})
    assert statuses == [200], statuses
    assert {Seen.parse(r).username for r in responses} == {username}
    assert database.count_users(example_database, username) == 1
    assert database.user_groups(example_database, username) == sorted(SET_A)


def test_alternating_group_sets_end_with_the_last_synced_set(
    busy_stack: Stack, example_database: str, timings: Timings
) -> None:
    username = f"switcher-{secrets.token_hex(4)}"
    sets = (SET_A, SET_B)

    def send(groups: tuple[str, ...], cookies: dict[str, str] | None = None) -> Response:
        return request(
            busy_stack.app_port,
            "/whoami.json",
            headers=[("Remote-User", username), ("Remote-Groups", ",".join(groups))],
            cookies=cookies,
            source=PROXY_SOURCE,
        )

    first = send(SET_A)
    session = {"sessionid": first.cookies()["sessionid"]}  # one browser, as in real life
    with (
        timings.stage(f"concurrency: {ALTERNATING_REQUESTS} alternating group syncs"),
        ThreadPoolExecutor(max_workers=CLIENT_THREADS) as pool,
    ):
        responses = list(
            pool.map(lambda i: send(sets[i % 2], session), range(ALTERNATING_REQUESTS - 2))
        )
    statuses = sorted({response.status for response in responses})
    assert statuses == [200], statuses
    seen_sets = {Seen.parse(response).groups for response in responses}
    assert seen_sets <= {tuple(sorted(SET_A)), tuple(sorted(SET_B))}, seen_sets

    # Every sync was a whole set: never a mixture of both, never one without the other.
    settled = database.user_groups(example_database, username)
    assert settled in (sorted(SET_A), sorted(SET_B))
    # The last request, alone and from a new browser (so that it signs in and syncs
    # whatever its session says), syncs the other set: the groups must be exactly it.
    last = SET_B if settled == sorted(SET_A) else SET_A
    seen = Seen.parse(send(last))
    assert seen.groups == tuple(sorted(last))
    assert database.user_groups(example_database, username) == sorted(last)
    assert database.count_users(example_database, username) == 1
