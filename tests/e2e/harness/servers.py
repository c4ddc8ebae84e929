"""The application servers: gunicorn, waitress, granian (WSGI) and uvicorn (ASGI).

``start_server`` runs one of them as a subprocess on ``127.0.0.1:port`` with the
command line a deployment would use, and waits until it listens. ``App`` says what it
serves: the example site (``exampleproject.wsgi`` / ``.asgi``) or a raw echo application.

uvicorn runs with ``--no-proxy-headers``: by default it replaces the peer address with
the ``X-Forwarded-For`` value of requests from 127.0.0.1 (``--forwarded-allow-ips``),
which would let any local process claim a trusted proxy's address (test_server_facts).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .client import request
from .net import LISTEN, wait_until
from .processes import ManagedProcess, ProcessError

REPOSITORY = Path(__file__).resolve().parents[3]
EXAMPLE = REPOSITORY / "example"
TEST_APPS = Path(__file__).resolve().parents[1] / "apps"

WSGI_SERVERS = ("gunicorn", "waitress", "granian")
ASGI_SERVERS = ("uvicorn",)
SERVERS = WSGI_SERVERS + ASGI_SERVERS


@dataclass(frozen=True)
class App:
    """An application to serve: its WSGI and ASGI targets and its environment."""

    wsgi: str
    asgi: str
    env: Mapping[str, str] = field(default_factory=dict)
    pythonpath: tuple[Path, ...] = ()
    ready_path: str = "/"  # answers 200 once the application is loaded

    def target(self, server: str) -> str:
        """The ``module:attribute`` that ``server`` loads."""
        return self.asgi if server in ASGI_SERVERS else self.wsgi


def example_app(env: Mapping[str, str]) -> App:
    """The example Django site as it is, configured by its ``EXAMPLE_*`` variables."""
    return App(
        wsgi="exampleproject.wsgi:application",
        asgi="exampleproject.asgi:application",
        env={"DJANGO_SETTINGS_MODULE": "exampleproject.settings", **env},
        pythonpath=(EXAMPLE,),
        ready_path="/public/whoami.json",
    )


RAW_ECHO = App(wsgi="raw_echo:wsgi_app", asgi="raw_echo:asgi_app", pythonpath=(TEST_APPS,))


def command(server: str, target: str, port: int, *, workers: int, threads: int) -> list[str]:
    """The command line that serves ``target`` with ``server`` on 127.0.0.1:``port``."""
    python = sys.executable
    if server == "gunicorn":
        return [
            python, "-m", "gunicorn", target,
            f"--bind={LISTEN}:{port}", f"--workers={workers}", f"--threads={threads}",
            "--access-logfile=-", "--error-logfile=-", "--graceful-timeout=5",
            "--no-control-socket",
        ]  # fmt: skip
    if server == "waitress":
        return [
            python,
            "-m",
            "waitress",
            f"--listen={LISTEN}:{port}",
            f"--threads={threads}",
            target,
        ]
    if server == "granian":
        return [
            python, "-m", "granian", "--interface=wsgi", f"--host={LISTEN}", f"--port={port}",
            f"--workers={workers}", f"--blocking-threads={threads}", "--access-log", target,
        ]  # fmt: skip
    if server == "uvicorn":
        return [
            python, "-m", "uvicorn", target, f"--host={LISTEN}", f"--port={port}",
            f"--workers={workers}", "--no-proxy-headers", "--timeout-graceful-shutdown=5",
        ]  # fmt: skip
    raise ValueError(f"unknown server {server!r}; expected one of {', '.join(SERVERS)}")


def server_environment(app: App) -> dict[str, str]:
    """The test process's environment for a server: the app's variables and path, and
    none of the test run's warning switches (a server is a deployment, not a test)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONDEVMODE", "PYTHONWARNINGS", "DJANGO_SETTINGS_MODULE")
    }
    env.update(app.env)
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in app.pythonpath)
    return env


def start_server(
    server: str,
    app: App,
    port: int,
    log_dir: Path,
    *,
    name: str | None = None,
    workers: int = 1,
    threads: int = 4,
    timeout: float = 60.0,
) -> ManagedProcess:
    """Start ``server`` serving ``app`` on 127.0.0.1:``port``; return once it listens."""
    name = name or f"{server}-{port}"
    process = ManagedProcess(
        name,
        command(server, app.target(server), port, workers=workers, threads=threads),
        log_path=log_dir / f"{name}.log",
        cwd=REPOSITORY,
        env=server_environment(app),
    )
    try:
        process.wait_listening(LISTEN, port, timeout=timeout)
        wait_until(
            lambda: _answers(port, app.ready_path, process),
            timeout=timeout,
            what=f"{name} to answer GET {app.ready_path} with 200",
        )
    except BaseException:
        process.stop()
        raise
    return process


def _answers(port: int, path: str, process: ManagedProcess) -> bool:
    if not process.running:
        raise ProcessError(f"{process.name} exited; log:\n{process.tail()}")
    try:
        return request(port, path).status == 200
    except OSError:
        return False
