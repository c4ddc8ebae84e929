"""Fixtures of the end-to-end tests: PostgreSQL, the sign-in front, and running stacks.

Each expensive thing starts once: the database and the front for the whole session, a
stack (proxy + server) once for all the tests that use it. Every process is stopped at
teardown, also after a failure. The durations of the stages and the attack matrix are
printed at the end of the run.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from .harness import database, servers
from .harness.matrix import Matrix
from .harness.net import free_port
from .harness.processes import run_checked
from .harness.signin import SignInFront, start_front, write_signing_key
from .harness.stacks import Stack, StackSpec, example_env, running_stack
from .harness.timing import Timings

_TIMINGS = pytest.StashKey[Timings]()
_MATRIX = pytest.StashKey[Matrix]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_TIMINGS] = Timings()
    config.stash[_MATRIX] = Matrix()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    timings = config.stash[_TIMINGS]
    if timings.stages:
        terminalreporter.section("end-to-end stages")
        for line in timings.lines():
            terminalreporter.write_line(line)
    matrix = config.stash[_MATRIX]
    if matrix.rows:
        terminalreporter.section("attack matrix (what the application saw)")
        for line in matrix.markdown():
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def timings(pytestconfig: pytest.Config) -> Timings:
    """The run's stage durations."""
    return pytestconfig.stash[_TIMINGS]


@pytest.fixture(scope="session")
def matrix(pytestconfig: pytest.Config) -> Matrix:
    """The attack matrix, filled by test_attacks."""
    return pytestconfig.stash[_MATRIX]


@pytest.fixture(scope="session")
def e2e_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This run's directory for configurations and logs."""
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def postgres(timings: Timings) -> Iterator[str]:
    """The DSN of a running PostgreSQL cluster (see harness.database)."""
    with ExitStack() as cleanup:
        with timings.stage("PostgreSQL cluster (start, or reuse $REMOTE_IDENTITY_TEST_POSTGRES)"):
            dsn = cleanup.enter_context(database.cluster())
        yield dsn


@pytest.fixture(scope="session")
def front(e2e_dir: Path, timings: Timings) -> Iterator[SignInFront]:
    """The sign-in front (Authelia's stand-in), on a copy of the demo users."""
    with timings.stage("start the sign-in front"):
        running = start_front(free_port(), e2e_dir / "front", e2e_dir / "logs")
    try:
        yield running
    finally:
        running.process.stop()


def migrate(dsn: str, front: SignInFront) -> None:
    """Create the example site's tables in the database ``dsn``."""
    app = servers.example_app(example_env(StackSpec("nginx", "gunicorn"), front, dsn))
    run_checked(
        [sys.executable, str(servers.EXAMPLE / "manage.py"), "migrate", "--no-input", "-v0"],
        timeout=180,
        env=servers.server_environment(app),
    )


@pytest.fixture(scope="session")
def signing_front(e2e_dir: Path, timings: Timings) -> Iterator[SignInFront]:
    """The sign-in front signing its answers (Pomerium's way) with a key the tests hold."""
    directory = e2e_dir / "signing-front"
    key = write_signing_key(directory / "signing-key.pem")
    with timings.stage("start the signing sign-in front"):
        running = start_front(
            free_port(), directory, e2e_dir / "logs", signing_key=key, name="signing-front"
        )
    try:
        yield running
    finally:
        running.process.stop()


@pytest.fixture(scope="session")
def example_database(postgres: str, front: SignInFront, timings: Timings) -> Iterator[str]:
    """A migrated database for the example site, shared by the stacks."""
    with database.fresh_database(postgres) as dsn:
        with timings.stage("create and migrate the example's database"):
            migrate(dsn, front)
        yield dsn


@pytest.fixture(scope="session")
def stack(
    request: pytest.FixtureRequest,
    front: SignInFront,
    example_database: str,
    e2e_dir: Path,
    timings: Timings,
) -> Iterator[Stack]:
    """A running stack for the ``StackSpec`` in ``request.param`` (parametrize indirectly)."""
    spec: StackSpec = request.param
    if spec.signed:
        front = request.getfixturevalue("signing_front")
    cleanup = ExitStack()
    with timings.stage(f"start stack {spec.id}"):
        running = cleanup.enter_context(running_stack(spec, front, example_database, e2e_dir))
    yield running
    with timings.stage(f"stop stack {spec.id}"):
        cleanup.close()
