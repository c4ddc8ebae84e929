"""End to end: the example site under gunicorn behind nginx, loaded with ``wrk`` on loopback.

Two copies of the example site run side by side, each under gunicorn (2 sync workers):
ours (``remote_identity.wsgi`` + ``remote_identity_django``, as ``scripts/demo`` runs it)
and the stock stack (``EXAMPLE_STACK=stock``: Django's ``RemoteUserMiddleware`` +
``RemoteUserBackend``, no core middleware). One nginx (``benchmarks/nginx.conf``) fronts
both from 127.0.0.2 with the same fixed identity headers. Each stack is signed in once;
then ``wrk`` (1 thread, 4 connections, the session cookie) loads ``/whoami.json`` of one
stack at a time, in rotating order over several rounds, each round with fresh gunicorn
workers and a warm-up, and the throughput ratio is the median of the per-round ratios.
Every server is stopped at the end, also on failure (``SIGTERM`` and Ctrl-C included);
a failed run keeps its directory under ``.run/`` with the servers' logs.

Database: SQLite (a file, WAL) by default; ``--postgres`` uses a private PostgreSQL
cluster (``scripts/postgres``). Run alone: ``python -m benchmarks.e2e [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sqlite3
import string
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.rounds import median, paired_ratio, rotations
from benchmarks.servers import (
    Processes,
    database,
    free_ports,
    gunicorn_command,
    restart_workers,
    versions,
    wait_for_port,
)

__all__ = ["E2EResults", "collect"]

ROOT = Path(__file__).resolve().parent.parent
STACKS = ("ours", "stock")
PATH = "/whoami.json"
CONNECTIONS = 4
PROXY_ADDRESS = "127.0.0.2"
HEADERS = {
    "user": "alice",
    "name": "Jörn Müller",
    "email": "alice@example.com",
    "groups": ",".join(("staff", "editors", *(f"group-{n}" for n in range(2, 10)))),
}
#: Seconds of load before each measured run (imports, caches), also after a reload.
WARM_UP = 1.0


@dataclass
class E2EResults:
    """Requests per second and median latency (ms) per stack, one sample per round."""

    database: str = "SQLite"
    seconds: float = 0.0
    connections: int = CONNECTIONS
    rps: dict[str, list[float]] = field(default_factory=dict)
    latency_ms: dict[str, list[float]] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)


def sign_in(port: int) -> str:
    """The session cookie of the first request through nginx; checks who it signed in."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{PATH}", timeout=30) as response:
        info = json.loads(response.read())
        cookies: list[str] = response.headers.get_all("Set-Cookie") or []
    if not info["authenticated"] or info["username"] != HEADERS["user"]:
        raise RuntimeError(f"port {port}: not signed in as {HEADERS['user']}: {info}")
    session = [c.split(";")[0] for c in cookies if c.startswith("sessionid=")]
    if not session:
        raise RuntimeError(f"port {port}: no session cookie")
    return session[0]


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def run_wrk(port: int, cookie: str, seconds: float) -> tuple[float, float]:
    """Requests per second and median latency (ms) of one ``wrk`` run."""
    command = [
        "wrk",
        "-t1",
        f"-c{CONNECTIONS}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
        f"http://127.0.0.1:{port}{PATH}",
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise RuntimeError(f"wrk saw errors:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)\b", out)
    if rps is None or p50 is None:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return float(rps[1]), float(p50[1]) * _UNITS[p50[2]]


def collect(rounds: int, seconds: float, *, postgres: bool = False) -> E2EResults:
    """Start everything, measure, stop everything."""
    results = E2EResults(seconds=seconds, versions=versions())
    processes = Processes()
    (ROOT / ".run").mkdir(exist_ok=True)
    run = Path(tempfile.mkdtemp(prefix="bench-e2e-", dir=ROOT / ".run"))
    try:
        with database(run, postgres) as (url, description):
            results.database = description
            env = {
                **os.environ,
                "EXAMPLE_DATABASE": url,
                "EXAMPLE_DEBUG": "0",
                "EXAMPLE_TRUSTED_PROXIES": PROXY_ADDRESS,
                "PYTHONUNBUFFERED": "1",
            }
            env.pop("EXAMPLE_STACK", None)
            subprocess.run(
                [sys.executable, "example/manage.py", "migrate", "--no-input", "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
                timeout=300,
            )
            if not postgres:
                with sqlite3.connect(run / "db.sqlite3") as db:
                    db.execute("PRAGMA journal_mode = WAL")
            names = ("ours", "stock", "ours_nginx", "stock_nginx")
            ports = dict(zip(names, free_ports(len(names)), strict=True))
            servers: dict[str, subprocess.Popen[bytes]] = {}
            for stack in STACKS:
                stack_env = {**env, "EXAMPLE_STACK": stack}
                log = run / f"gunicorn-{stack}.log"
                servers[stack] = processes.start(gunicorn_command(ports[stack]), log, env=stack_env)
                wait_for_port(ports[stack], servers[stack], log)
            config = run / "nginx.conf"
            template = string.Template((ROOT / "benchmarks/nginx.conf").read_text("utf-8"))
            config.write_text(
                template.substitute(
                    HEADERS,
                    ours_listen=ports["ours_nginx"],
                    ours_upstream=ports["ours"],
                    stock_listen=ports["stock_nginx"],
                    stock_upstream=ports["stock"],
                ),
                encoding="utf-8",
            )
            log = run / "nginx.log"
            nginx = processes.start(
                [
                    "nginx",
                    "-p",
                    f"{run}/",
                    "-c",
                    str(config),
                    "-e",
                    "error.log",
                    "-g",
                    "daemon off;",
                ],
                log,
            )
            wait_for_port(ports["stock_nginx"], nginx, log)
            cookies = {stack: sign_in(ports[f"{stack}_nginx"]) for stack in STACKS}
            samples: dict[str, list[tuple[float, float]]] = {stack: [] for stack in STACKS}
            for number, order in enumerate(rotations(STACKS, rounds)):
                if number:  # fresh worker processes for every round, see restart_workers
                    for stack in STACKS:
                        restart_workers(servers[stack])
                for stack in order:  # warm-up: imports, caches, connections
                    run_wrk(ports[f"{stack}_nginx"], cookies[stack], WARM_UP)
                for stack in order:
                    samples[stack].append(run_wrk(ports[f"{stack}_nginx"], cookies[stack], seconds))
            results.rps = {stack: [s[0] for s in values] for stack, values in samples.items()}
            results.latency_ms = {
                stack: [s[1] for s in values] for stack, values in samples.items()
            }
    finally:
        processes.stop()
    shutil.rmtree(run, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=5.0, help="per wrk run")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 s")
    args = parser.parse_args()
    rounds, seconds = (2, 2.0) if args.quick else (args.rounds, args.seconds)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that servers are stopped
    results = collect(rounds, seconds, postgres=args.postgres)
    ratio = paired_ratio(results.rps["ours"], results.rps["stock"])
    for stack in STACKS:
        print(
            f"{stack:<6} {median(results.rps[stack]):8.1f} req/s  "
            f"p50 {median(results.latency_ms[stack]):6.2f} ms"
        )
    print(f"throughput ratio ours / stock: {ratio} [{ratio.low:.3f}, {ratio.high:.3f}]")


if __name__ == "__main__":
    main()
