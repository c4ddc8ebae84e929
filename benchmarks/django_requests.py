"""Django requests, in-process: our stack against Django's own, scenario by scenario.

Four stacks (``django_settings.py``), each in a worker process of its own
(``django_worker.py``) on its own SQLite file: ``stock`` (Django's ``RemoteUserMiddleware``
+ ``RemoteUserBackend``), ``guide`` (the backend of Authelia's Django guide), ``ours``
(our Django middleware + backend) and ``ours-wsgi`` (the same behind the core's WSGI
middleware, as the example site runs). Each round starts fresh workers, then for each scenario
asks every worker for a warm-up batch and a measured batch of requests, in rotating
order, and records seconds per request; the first round also records the SQL
statements of one request of each scenario.

Run alone: ``python -m benchmarks.django_requests [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.rounds import median, paired_ratio, rotations

__all__ = ["QUERIED", "STACKS", "TIMED", "DjangoResults", "collect"]

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("stock", "guide", "ours", "ours-wsgi")
#: Scenarios timed, and requests per batch (one batch per stack per round). The steady
#: state gets the most: its target is the tightest (a ratio of 1.03).
TIMED = {"steady": 500, "changed": 60, "fresh": 60, "new": 60}
#: Scenarios whose statements are recorded.
QUERIED = ("steady", "changed", "changed-login", "fresh", "new")
#: A worker that does not answer within this many seconds is broken.
ANSWER_TIMEOUT = 120


class Worker:
    """One stack's worker process; always ``close()`` it."""

    def __init__(self, stack: str, database: Path) -> None:
        self.stack = stack
        self.process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.django_worker", stack, str(database)],
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
    (``statements[scenario][stack]``)."""

    django: str = ""
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    wall: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    statements: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    loops: dict[str, int] = field(default_factory=dict)


def start_workers(directory: Path, generation: int) -> dict[str, Worker]:
    """A fresh worker per stack, each on a fresh database; all started, then awaited."""
    workers = {
        stack: Worker(stack, directory / f"{generation}-{stack}.sqlite3") for stack in STACKS
    }
    try:
        for worker in workers.values():
            worker.wait_ready()
    except BaseException:
        for worker in workers.values():
            worker.close()
        raise
    return workers


def record_statements(workers: dict[str, Worker], results: DjangoResults) -> None:
    for scenario in QUERIED:
        results.statements[scenario] = {}
        for stack, worker in workers.items():
            answer = worker.ask(op="queries", scenario=scenario)
            if not answer["status"].startswith("200"):
                raise RuntimeError(f"{stack} {scenario}: {answer['status']}")
            results.statements[scenario][stack] = answer["statements"]


def collect(rounds: int, scale: float = 1.0) -> DjangoResults:
    """Run every scenario on every stack; ``scale`` multiplies the batch sizes.

    Each round starts a fresh worker process per stack (as pyperf starts a process per
    value): a process has speed quirks of its own (memory layout, hash seed), and one
    process per stack for the whole run would carry them into every round.
    """
    results = DjangoResults(loops={name: max(10, int(n * scale)) for name, n in TIMED.items()})
    results.samples = {scenario: {stack: [] for stack in STACKS} for scenario in TIMED}
    results.wall = {scenario: {stack: [] for stack in STACKS} for scenario in TIMED}
    with tempfile.TemporaryDirectory(prefix="remote-identity-bench-") as directory:
        for generation, order in enumerate(rotations(STACKS, rounds)):
            workers = start_workers(Path(directory), generation)
            try:
                results.django = workers["stock"].ready["django"]
                if generation == 0:
                    record_statements(workers, results)
                for scenario, loops in results.loops.items():
                    for stack in order:  # warm-up: imports, caches, the first users
                        workers[stack].time(scenario, max(5, loops // 5))
                    for stack in order:
                        cpu, wall = workers[stack].time(scenario, loops)
                        results.samples[scenario][stack].append(cpu)
                        results.wall[scenario][stack].append(wall)
            finally:
                for worker in workers.values():
                    worker.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="3 rounds of small batches")
    args = parser.parse_args()
    rounds, scale = (3, 0.25) if args.quick else (args.rounds, 1.0)
    results = collect(rounds, scale)
    print(f"Django {results.django}; {rounds} rounds")
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
