"""One Django stack in a process of its own, driven by ``django_requests.py`` over a pipe.

Each stack (see ``django_settings.py``) runs in its own process so that every one is
configured exactly as a site would be, and the driver interleaves them round by round.
Requests go through Django's real ``WSGIHandler`` (and the core's WSGI middleware for
``ours-wsgi``), called in-process with a fresh environ each time, the response closed as
a WSGI server does (which ends the request: on SQLite it closes the database
connection, on PostgreSQL the connection is kept, see ``django_settings.py``).

Protocol, one JSON object per line: the worker answers ``{"ready": ...}`` once set up,
then for each command on stdin one line on stdout:

    {"op": "time", "scenario": S, "loops": N}  ->  {"cpu": s, "wall": s} per request
                                                   (``cpu``: see ``Worker.time``)
    {"op": "queries", "scenario": S}           ->  {"statements": [SQL, ...], "body": ...}
    {"op": "quit"}                              ->  exits

Scenarios (``SCENARIOS``): ``steady`` (signed-in session, same identity), ``changed``
(signed-in session, identity alternating between two versions: a group added or
removed and the e-mail changed, so each request must sync), ``changed-login`` (fresh
session, changed identity; only measured for its statements), ``fresh`` (existing,
synced user, no session cookie: a new login) and ``new`` (a username never seen).
"""

from __future__ import annotations

import io
import itertools
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

Environ = dict[str, Any]

PROXY = "127.0.0.2"
GROUPS = ("staff", "editors", *(f"group-{n}" for n in range(2, 10)))  # 10 groups
EXTRA_GROUP = "group-10"
NAME = "Jörn Müller"


def identity_headers(user: str, *, changed: bool = False) -> dict[str, str]:
    """What the proxy sends: the four Authelia headers, as a WSGI server puts them."""
    groups = (*GROUPS, EXTRA_GROUP) if changed else GROUPS
    email = f"{user}@{'new.example.com' if changed else 'example.com'}"
    return {
        "HTTP_REMOTE_USER": user,
        "HTTP_REMOTE_NAME": NAME.encode().decode("latin-1"),  # PEP 3333: bytes as latin-1
        "HTTP_REMOTE_EMAIL": email,
        "HTTP_REMOTE_GROUPS": ",".join(groups),
    }


BASE: Environ = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/whoami/",
    "QUERY_STRING": "",
    "SERVER_NAME": "app.example.com",
    "SERVER_PORT": "443",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "SERVER_SOFTWARE": "gunicorn/23.0.0",
    "REMOTE_ADDR": PROXY,
    "HTTP_HOST": "app.example.com",
    "HTTP_ACCEPT": "text/html",
    "HTTP_X_FORWARDED_FOR": "198.51.100.7",
    "HTTP_X_FORWARDED_PROTO": "https",
    "wsgi.url_scheme": "https",
    "wsgi.version": (1, 0),
    "wsgi.multithread": False,
    "wsgi.multiprocess": True,
    "wsgi.run_once": False,
}


class Site:
    """The stack's WSGI application and a way to send it one request."""

    def __init__(self, stack: str) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        app: Any = WSGIHandler()
        if stack == "ours-wsgi":
            from remote_identity.wsgi import RemoteIdentityMiddleware
            from remote_identity_django.conf import gate_options

            app = RemoteIdentityMiddleware(app, **gate_options())
        self.app = app
        self.errors = io.StringIO()

    def get(self, headers: dict[str, str], cookie: str | None = None) -> tuple[str, bytes, str]:
        """Status, body and the new session cookie (``""`` if none) of one request."""
        environ = {**BASE, **headers, "wsgi.input": io.BytesIO(), "wsgi.errors": self.errors}
        if cookie:
            environ["HTTP_COOKIE"] = cookie
        seen: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers

        result = self.app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        cookies = [value for name, value in seen["headers"] if name.lower() == "set-cookie"]
        session = next((c.split(";")[0] for c in cookies if c.startswith("sessionid=")), "")
        return seen["status"], body, session


class Scenario:
    """Requests of one kind; ``step()`` sends the next one (state kept between steps)."""

    def __init__(self, site: Site, user: str) -> None:
        self.site = site
        self.user = user
        self.prepare()

    def login(self, user: str, *, changed: bool = False) -> str:
        status, body, cookie = self.site.get(identity_headers(user, changed=changed))
        if not status.startswith("200") or body != user.encode() or not cookie:
            raise RuntimeError(f"login of {user!r} failed: {status} {body!r}")
        return cookie

    def prepare(self) -> None:
        """Set up the state the steps start from."""

    def step(self) -> tuple[str, bytes, str]:
        raise NotImplementedError


class Steady(Scenario):
    """Signed in, identity unchanged: the request every page view of a user makes."""

    def prepare(self) -> None:
        self.cookie = self.login(self.user)

    def step(self) -> tuple[str, bytes, str]:
        return self.site.get(identity_headers(self.user), self.cookie)


class Changed(Steady):
    """Signed in; the identity alternates, so each request brings a change to sync."""

    def prepare(self) -> None:
        super().prepare()
        self.flips = itertools.cycle([True, False])

    def step(self) -> tuple[str, bytes, str]:
        return self.site.get(identity_headers(self.user, changed=next(self.flips)), self.cookie)


class ChangedLogin(Scenario):
    """A fresh session whose identity changed since the last sync (the guide's only sync)."""

    def prepare(self) -> None:
        self.login(self.user)

    def step(self) -> tuple[str, bytes, str]:
        return self.site.get(identity_headers(self.user, changed=True))


class Fresh(Scenario):
    """An existing, synced user without a session cookie: a login."""

    def prepare(self) -> None:
        self.login(self.user)

    def step(self) -> tuple[str, bytes, str]:
        return self.site.get(identity_headers(self.user))


class New(Scenario):
    """A username seen for the first time: the user is created at each step."""

    def prepare(self) -> None:
        self.names = (f"{self.user}-{n}" for n in itertools.count())

    def step(self) -> tuple[str, bytes, str]:
        return self.site.get(identity_headers(next(self.names)))


SCENARIOS: dict[str, type[Scenario]] = {
    "steady": Steady,
    "changed": Changed,
    "changed-login": ChangedLogin,
    "fresh": Fresh,
    "new": New,
}


@contextmanager
def recorded() -> Iterator[list[str]]:
    """The SQL of every statement Django logs meanwhile, as ``CaptureQueriesContext`` (and
    so ``assertNumQueries``) counts them: ``BEGIN`` and ``COMMIT`` included."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements: list[str] = []
    with CaptureQueriesContext(connection) as captured:
        yield statements
    statements.extend(query["sql"] for query in captured.captured_queries)


class Worker:
    """Answers the driver's commands for one stack."""

    def __init__(self, stack: str) -> None:
        self.site = Site(stack)
        self.timed: dict[str, Scenario] = {}
        self.users = (f"user{n}" for n in itertools.count())

    def time(self, scenario: str, loops: int) -> tuple[float, float]:
        """Seconds per request of ``loops`` requests: CPU time, and wall time (which also
        counts the time other processes held the CPU).

        The CPU time is this process's, plus on PostgreSQL that of its database backend
        (``database_cpu``): SQLite works inside this process, PostgreSQL in a server
        process of its own, whose work belongs to the request as much.
        """
        runner = self.timed.get(scenario)
        if runner is None:
            runner = self.timed[scenario] = SCENARIOS[scenario](self.site, next(self.users))
        step = runner.step
        backend, database = database_cpu()
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(loops):
            step()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        backend_after, database_after = database_cpu()
        if backend_after != backend:
            raise RuntimeError(f"{scenario}: the database connection was opened again")
        return (cpu + database_after - database) / loops, wall / loops

    def queries(self, scenario: str) -> dict[str, Any]:
        runner = SCENARIOS[scenario](self.site, next(self.users))
        with recorded() as statements:
            status, body, _ = runner.step()
        return {"statements": statements, "status": status, "body": body.decode()}

    def serve(self, commands: io.TextIOBase, out: io.TextIOBase) -> None:
        for line in commands:
            command = json.loads(line)
            if command["op"] == "quit":
                return
            if command["op"] == "time":
                cpu, wall = self.time(command["scenario"], int(command["loops"]))
                answer: dict[str, Any] = {"cpu": cpu, "wall": wall}
            else:
                answer = self.queries(command["scenario"])
            out.write(json.dumps(answer) + "\n")
            out.flush()


def database_cpu() -> tuple[int, float]:
    """The PostgreSQL backend's process id and the CPU seconds it has used so far
    (``/proc/PID/schedstat``: nanoseconds on a CPU, user and system; the cluster runs
    on this machine). The connection is opened if need be; it is persistent, so one
    backend serves all requests of this worker. On SQLite ``(0, 0.0)``."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0, 0.0
    connection.ensure_connection()
    pid: int = connection.connection.info.backend_pid
    with open(f"/proc/{pid}/schedstat", encoding="ascii") as stat:
        return pid, int(stat.read().split()[0]) / 1e9


def no_sync(sender: object, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: SQLite without ``fsync``. This machine's disk
    takes from 1 to 50 ms per ``fsync``, at random, which would drown the work measured
    (like the PostgreSQL cluster, which runs with ``fsync`` off, this trades durability
    for steady timings)."""
    if connection.vendor == "sqlite":
        connection.connection.execute("PRAGMA synchronous = OFF")


def set_up(stack: str, database: str) -> str:
    """Configure Django for ``stack``, create the tables and the proxy's groups."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.django_settings"
    os.environ["BENCH_STACK"] = stack
    os.environ["BENCH_DATABASE"] = database
    import django

    django.setup()
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.db.backends.signals import connection_created

    connection_created.connect(no_sync)
    call_command("migrate", verbosity=0, interactive=False)
    Group.objects.bulk_create(Group(name=name) for name in (*GROUPS, EXTRA_GROUP, "admins"))
    connection.close()
    return django.get_version()


def main() -> None:
    stack, database = sys.argv[1], sys.argv[2]
    # Answers go to the original stdout; anything else printed goes to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    version = set_up(stack, database)
    worker = Worker(stack)
    out.write(json.dumps({"ready": True, "django": version}) + "\n")
    out.flush()
    worker.serve(sys.stdin, out)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
