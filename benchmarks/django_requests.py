"""Django requests, in-process: our stack against Django's own, scenario by scenario.

Four stacks (``django_settings.py``), each in a worker process of its own
(``django_worker.py``) on a database of its own: ``stock`` (Django's ``RemoteUserMiddleware``
+ ``RemoteUserBackend``), ``guide`` (the backend of Authelia's Django guide), ``ours``
(our Django middleware + backend) and ``ours-wsgi`` (the same behind the core's WSGI
middleware, as the example site runs). Each round starts fresh workers, each on a fresh
database, then for each scenario asks every worker for a warm-up batch and a measured
batch of requests, in rotating order, and records seconds per request; the first round
also records the SQL statements of one request of each scenario.

Two databases: SQLite (a file per worker; every stack, every scenario) and PostgreSQL
(``postgres=True``: a database per worker on a private cluster, ``scripts/postgres``;
persistent connections, see ``django_settings.py``). On PostgreSQL the CPU time of a
request counts the worker's database backend too (``django_worker.Worker.time``), and
only ``stock`` and ``ours`` run (``POSTGRES_STACKS``: the targets compare those two),
to keep the suite's length in bounds; the SQL of every scenario is recorded there too.

Run alone: ``python -m benchmarks.django_requests [--quick] [--postgres]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from benchmarks.rounds import median, paired_ratio, rotations
from benchmarks.servers import postgres_cluster

if TYPE_CHECKING:
    from typing_extensions import LiteralString

__all__ = ["POSTGRES_STACKS", "QUERIED", "STACKS", "TIMED", "DjangoResults", "collect"]

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("stock", "guide", "ours", "ours-wsgi")
#: Scenarios timed, and requests per batch (one batch per stack per round). The steady
#: state gets the most: its target is the tightest (a ratio of 1.03).
TIMED = {"steady": 500, "changed": 60, "fresh": 60, "new": 60}
#: Scenarios whose statements are recorded.
QUERIED = ("steady", "changed", "changed-login", "fresh", "new")
#: The stacks measured on PostgreSQL: the targets compare ours with Django's own.
POSTGRES_STACKS = ("stock", "ours")
#: A worker that does not answer within this many seconds is broken.
ANSWER_TIMEOUT = 120


class Worker:
    """One stack's worker process; always ``close()`` it."""

    def __init__(self, stack: str, database: str) -> None:
        self.stack = stack
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.django_worker", stack, database],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.ready: dict[str, Any] = {}

    def wait_ready(self) -> dict[str, Any]:
        self.ready = self._answer()
        return self.ready

    def ask(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self._answer()

    def time(self, scenario: str, loops: int) -> tuple[float, float]:
        """CPU and wall seconds per request."""
        answer = self.ask(op="time", scenario=scenario, loops=loops)
        return float(answer["cpu"]), float(answer["wall"])

    def _answer(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait(timeout=ANSWER_TIMEOUT)
            raise RuntimeError(f"the {self.stack} worker stopped (exit status {code})")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(json.dumps({"op": "quit"}) + "\n")
                self.process.stdin.close()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()


@dataclass
class DjangoResults:
    """CPU seconds per request (``samples[scenario][stack]``, one per round), the same in
    wall-clock time (``wall``), and the SQL of one request of each scenario
    (``statements[scenario][stack]``), on one database (``database``: ``"SQLite"`` or
    ``"PostgreSQL 15.14"``)."""

    django: str = ""
    database: str = "SQLite"
    stacks: tuple[str, ...] = STACKS
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    wall: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    statements: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    loops: dict[str, int] = field(default_factory=dict)

    @property
    def engine(self) -> str:
        """``"SQLite"`` or ``"PostgreSQL"``: the database without its version."""
        return self.database.split()[0]


class SQLiteFiles:
    """A fresh SQLite file for each worker, in ``directory``."""

    description = "SQLite"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def create(self, name: str) -> str:
        """``BENCH_DATABASE`` of a new database: a file the worker creates."""
        return str(self.directory / f"{name}.sqlite3")

    def drop(self, name: str) -> None:
        (self.directory / f"{name}.sqlite3").unlink(missing_ok=True)


class PostgresDatabases:
    """A fresh database for each worker on one PostgreSQL cluster (``dsn``)."""

    def __init__(self, dsn: str, description: str) -> None:
        self.dsn = dsn
        self.description = description

    def _run(self, statement: LiteralString, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn, autocommit=True) as connection:
            connection.execute(sql.SQL(statement).format(sql.Identifier(name)))

    def create(self, name: str) -> str:
        """``BENCH_DATABASE`` of a new, empty database: its URL on the cluster."""
        self._run("CREATE DATABASE {}", name)
        return urlsplit(self.dsn)._replace(path=f"/{name}").geturl()

    def drop(self, name: str) -> None:
        self._run("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


@contextmanager
def databases(postgres: bool) -> Iterator[SQLiteFiles | PostgresDatabases]:
    """Where the workers' databases are made; removed after, also on failure."""
    if postgres:
        with postgres_cluster() as (dsn, description):
            yield PostgresDatabases(dsn, description)
        return
    with tempfile.TemporaryDirectory(prefix="remote-identity-bench-") as directory:
        yield SQLiteFiles(Path(directory))


def start_workers(
    made: SQLiteFiles | PostgresDatabases, generation: int, stacks: Sequence[str]
) -> dict[str, Worker]:
    """A fresh worker per stack, each on a fresh database; all started, then awaited."""
    workers: dict[str, Worker] = {}
    try:
        for stack in stacks:
            database = made.create(f"bench_{generation}_{stack.replace('-', '_')}")
            workers[stack] = Worker(stack, database)
        for worker in workers.values():
            worker.wait_ready()
    except BaseException:
        stop_workers(made, generation, workers)
        raise
    return workers


def stop_workers(
    made: SQLiteFiles | PostgresDatabases, generation: int, workers: dict[str, Worker]
) -> None:
    """Close the workers, then drop their databases."""
    for worker in workers.values():
        worker.close()
    for stack in workers:
        made.drop(f"bench_{generation}_{stack.replace('-', '_')}")


def record_statements(workers: dict[str, Worker], results: DjangoResults) -> None:
    for scenario in QUERIED:
        results.statements[scenario] = {}
        for stack, worker in workers.items():
            answer = worker.ask(op="queries", scenario=scenario)
            if not answer["status"].startswith("200"):
                raise RuntimeError(f"{stack} {scenario}: {answer['status']}")
            results.statements[scenario][stack] = answer["statements"]


def collect(
    rounds: int,
    scale: float = 1.0,
    *,
    postgres: bool = False,
    scenarios: Sequence[str] = tuple(TIMED),
) -> DjangoResults:
    """Time ``scenarios`` on every stack (``POSTGRES_STACKS`` with ``postgres``) and record
    the SQL of every scenario; ``scale`` multiplies the batch sizes.

    Each round starts a fresh worker process per stack (as pyperf starts a process per
    value): a process has speed quirks of its own (memory layout, hash seed), and one
    process per stack for the whole run would carry them into every round.
    """
    stacks = POSTGRES_STACKS if postgres else STACKS
    loops = {name: max(10, int(TIMED[name] * scale)) for name in scenarios}
    results = DjangoResults(stacks=stacks, loops=loops)
    results.samples = {scenario: {stack: [] for stack in stacks} for scenario in loops}
    results.wall = {scenario: {stack: [] for stack in stacks} for scenario in loops}
    with databases(postgres) as made:
        results.database = made.description
        for generation, order in enumerate(rotations(stacks, rounds)):
            workers = start_workers(made, generation, stacks)
            try:
                results.django = workers["stock"].ready["django"]
                if generation == 0:
                    record_statements(workers, results)
                for scenario, count in loops.items():
                    for stack in order:  # warm-up: imports, caches, the first users
                        workers[stack].time(scenario, max(5, count // 5))
                    for stack in order:
                        cpu, wall = workers[stack].time(scenario, count)
                        results.samples[scenario][stack].append(cpu)
                        results.wall[scenario][stack].append(wall)
            finally:
                stop_workers(made, generation, workers)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="3 rounds of small batches")
    parser.add_argument("--postgres", action="store_true", help="on PostgreSQL")
    args = parser.parse_args()
    rounds, scale = (3, 0.25) if args.quick else (args.rounds, 1.0)
    results = collect(rounds, scale, postgres=args.postgres)
    print(f"Django {results.django}, {results.database}; {rounds} rounds")
    for scenario, by_stack in results.samples.items():
        for stack, values in by_stack.items():
            ratio = paired_ratio(values, by_stack["stock"])
            wall = results.wall[scenario]
            wall_ratio = paired_ratio(wall[stack], wall["stock"])
            count = len(results.statements[scenario][stack])
            print(
                f"{scenario:<8} {stack:<10} {median(values) * 1e6:7.0f} us CPU, ratio {ratio} "
                f"[{ratio.low:.3f}, {ratio.high:.3f}]; wall {median(wall[stack]) * 1e6:7.0f} "
                f"us, ratio {wall_ratio} [{wall_ratio.low:.3f}, {wall_ratio.high:.3f}]; "
                f"{count} statements"
            )


if __name__ == "__main__":
    main()
