"""The servers of the benchmarks: start them, wait for them, stop them all.

The end-to-end part's nginx and gunicorn, and the private PostgreSQL cluster of the
end-to-end and the Django in-process parts (``postgres_cluster``).

Every server process started here is recorded by ``Processes`` and stopped by its own pid
(``SIGTERM``, then ``SIGKILL`` after 10 s); the cluster by ``scripts/postgres stop``.
Loopback addresses only.
"""

from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = [
    "Processes",
    "database",
    "free_ports",
    "gunicorn_command",
    "postgres_cluster",
    "restart_workers",
    "versions",
    "wait_for_port",
]

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
#: Seconds to let gunicorn replace its workers after ``SIGHUP``.
RELOAD_PAUSE = 1.5


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Processes:
    """Servers started here; ``stop()`` ends every one of them, by its own pid."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self, command: list[str], log: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        with log.open("wb") as output:
            process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        self.started.append(process)
        return process

    def stop(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.started.clear()


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped; see {log}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {START_TIMEOUT:.0f} s; see {log}")


def restart_workers(master: subprocess.Popen[bytes]) -> None:
    """Replace gunicorn's worker processes (``SIGHUP``), as the in-process part starts
    fresh workers every round: a process has speed quirks of its own (memory layout,
    hash seed) that would otherwise weigh on one stack for the whole run."""
    master.send_signal(signal.SIGHUP)
    time.sleep(RELOAD_PAUSE)


@contextmanager
def postgres_cluster() -> Iterator[tuple[str, str]]:
    """A private PostgreSQL cluster (``scripts/postgres``: loopback only, ``fsync`` off,
    like the test cluster) on a free port: its DSN and ``"PostgreSQL 15.14"``. Stopped
    and removed after, also on failure."""
    cluster = Path(tempfile.mkdtemp(prefix="ri-bench-pg-", dir="/tmp"))
    cluster.chmod(0o755)
    try:
        port = free_ports(1)[0]
        dsn = subprocess.run(
            [str(ROOT / "scripts/postgres"), "start", str(cluster), str(port)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        version = subprocess.run(
            ["psql", "-XAtc", "SHOW server_version", dsn], capture_output=True, text=True
        ).stdout.split()
        yield dsn, f"PostgreSQL {version[0] if version else ''}".strip()
    finally:
        subprocess.run(
            [str(ROOT / "scripts/postgres"), "stop", str(cluster)], capture_output=True, timeout=60
        )
        shutil.rmtree(cluster, ignore_errors=True)


@contextmanager
def database(run: Path, postgres: bool) -> Iterator[tuple[str, str]]:
    """``EXAMPLE_DATABASE`` and a description; a PostgreSQL cluster is stopped after."""
    if not postgres:
        yield f"sqlite:///{run / 'db.sqlite3'}", "SQLite (file, WAL)"
        return
    with postgres_cluster() as found:
        yield found


def gunicorn_command(port: int) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT / "example")]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--graceful-timeout", "5"]
    help_text = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True
    ).stdout
    if "--no-control-socket" in help_text:  # one per user otherwise, shared between runs
        command.append("--no-control-socket")
    return [*command, "exampleproject.wsgi:application"]


def versions() -> dict[str, str]:
    """``{"nginx": "nginx 1.22.1", ...}``: the version numbers the tools print."""
    found = {}
    for name, command in {
        "nginx": ["nginx", "-v"],
        "wrk": ["wrk", "--version"],
        "gunicorn": [sys.executable, "-m", "gunicorn", "--version"],
    }.items():
        result = subprocess.run(command, capture_output=True, text=True)
        number = re.search(r"\d+(\.\d+)+", result.stdout + result.stderr)
        found[name] = f"{name} {number[0] if number else '?'}"
    return found
