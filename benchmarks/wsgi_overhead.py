"""Per-request cost of the WSGI middleware against a minimal hand-written trust gate.

Run: ``python benchmarks/wsgi_overhead.py`` (``--quick`` for a short run); ``scripts/bench``
runs it as part of the whole suite.

Every variant wraps the same bare WSGI application and is called in-process with a fresh
copy of the same environ. The variants are interleaved round by round (in rotating order,
see ``rounds.py``) and each figure is the median of the rounds, so drift on a shared
machine hits all variants alike. The figure that matters is the ratio of the
middleware's overhead (its time minus the bare application's) to the hand-written gate's.
Werkzeug's ``ProxyFix`` (``x_for=1``), which many applications behind a proxy already
run, is measured beside them as a point of reference.

The security log is live, as on a site: the ``remote_identity`` loggers write WARNING
records through a formatting handler (to a sink that discards the text). The untrusted
spoofer sends from one address, as a client spraying spoofed headers does; its records
are rate-limited per peer and reason, every refusal is counted. The "cycling addresses"
spoofer comes from a new address on every request (65,536 of them, in turn), as an
attacker with a network of its own does: both it and the hand-written gate are called
through the same wrapper that sets ``REMOTE_ADDR``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import ipaddress
import itertools
import logging
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from werkzeug.middleware.proxy_fix import ProxyFix

from remote_identity.wsgi import RemoteIdentityMiddleware

if __package__ in (None, ""):  # run as a script: benchmarks/ is not a package then
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.rounds import interleave, median

Environ = dict[str, Any]
App = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]

PROXY = "10.0.0.2"
ATTACKER = "203.0.113.9"
TRUSTED = ["10.0.0.0/24", "::1"]
GROUPS = ",".join(f"group-{n}" for n in range(10))
IDENTITY_HEADERS = {
    "HTTP_REMOTE_USER": "alice",
    "HTTP_REMOTE_NAME": "Jörn Müller".encode().decode("latin-1"),
    "HTTP_REMOTE_EMAIL": "alice@example.com",
    "HTTP_REMOTE_GROUPS": GROUPS,
}
BASE = {
    "REQUEST_METHOD": "GET",
    "PATH_INFO": "/",
    "SERVER_NAME": "app",
    "SERVER_PORT": "8000",
    "SERVER_SOFTWARE": "gunicorn/23.0.0",
    "HTTP_HOST": "app.example.com",
    "HTTP_ACCEPT": "text/html",
    "HTTP_COOKIE": "sessionid=abc",
    "HTTP_X_FORWARDED_FOR": "198.51.100.7",
    "wsgi.url_scheme": "https",
}
BODY = [b"ok"]


def bare_app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return BODY


def hand_written_gate(app: App) -> App:
    """What people write by hand: an ipaddress check that deletes HTTP_REMOTE_* if untrusted."""
    networks = [ipaddress.ip_network(entry) for entry in TRUSTED]
    keys = ("HTTP_REMOTE_USER", "HTTP_REMOTE_NAME", "HTTP_REMOTE_EMAIL", "HTTP_REMOTE_GROUPS")

    def gate(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        peer = ipaddress.ip_address(environ["REMOTE_ADDR"])
        if not any(peer in network for network in networks):
            for key in keys:
                environ.pop(key, None)
        return app(environ, start_response)

    return gate


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
    return None


def measure(app: App, environ: Environ, loops: int) -> float:
    """Nanoseconds per call of ``app`` on copies of ``environ`` (copy cost included)."""
    copy = environ.copy
    started = time.perf_counter_ns()
    for _ in range(loops):
        app(copy(), start_response)
    return (time.perf_counter_ns() - started) / loops


PATHS = (
    "trusted proxy",
    "untrusted spoofer",
    "untrusted spoofer, cycling addresses",
    "untrusted, no headers",
)


def cycling_addresses(app: App) -> App:
    """``app``, called with a new ``REMOTE_ADDR`` on each request (65,536 in turn)."""
    numbers = itertools.count()

    def call(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        number = next(numbers)
        environ["REMOTE_ADDR"] = f"203.0.{(number >> 8) & 255}.{number & 255}"
        return app(environ, start_response)

    return call


BARE = "bare app, trusted request"


def variants() -> dict[str, tuple[App, Environ]]:
    """Every variant: the application to call and the environ it gets."""
    middleware = RemoteIdentityMiddleware(bare_app, trusted_proxies=TRUSTED)
    gate = hand_written_gate(bare_app)
    proxy_fix = ProxyFix(bare_app, x_for=1)
    trusted = {**BASE, "REMOTE_ADDR": PROXY, **IDENTITY_HEADERS}
    spoofed = {**BASE, "REMOTE_ADDR": ATTACKER, **IDENTITY_HEADERS}
    plain = {**BASE, "REMOTE_ADDR": ATTACKER}
    return {
        BARE: (bare_app, trusted),
        "Werkzeug ProxyFix, trusted request": (proxy_fix, trusted),
        "hand-written gate, trusted proxy": (gate, trusted),
        "RemoteIdentityMiddleware, trusted proxy": (middleware, trusted),
        "hand-written gate, untrusted spoofer": (gate, spoofed),
        "RemoteIdentityMiddleware, untrusted spoofer": (middleware, spoofed),
        "hand-written gate, untrusted spoofer, cycling addresses": (
            cycling_addresses(gate),
            spoofed,
        ),
        "RemoteIdentityMiddleware, untrusted spoofer, cycling addresses": (
            cycling_addresses(middleware),
            spoofed,
        ),
        "hand-written gate, untrusted, no headers": (gate, plain),
        "RemoteIdentityMiddleware, untrusted, no headers": (middleware, plain),
    }


class _Discard(io.TextIOBase):
    """A text stream that accepts and forgets everything."""

    def write(self, text: str) -> int:
        return len(text)


@contextlib.contextmanager
def live_security_log() -> Iterator[logging.Handler]:
    """The library's WARNING records formatted by a handler, as a site logs them."""
    logger = logging.getLogger("remote_identity")
    handler = logging.StreamHandler(_Discard())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def collect(rounds: int, loops: int) -> dict[str, list[float]]:
    """Nanoseconds per request of every variant, one sample per round, interleaved."""
    with live_security_log():
        apps = variants()
        for app, environ in apps.values():
            measure(app, environ, 1_000)  # warm caches
        return interleave(
            {
                name: functools.partial(measure, app, environ, loops)
                for name, (app, environ) in apps.items()
            },
            rounds,
            warmup=False,
        )


def overhead_ratio(medians: dict[str, float], path: str) -> float:
    """The middleware's overhead over the bare app, divided by the hand-written gate's."""
    bare = medians[BARE]
    ours = medians[f"RemoteIdentityMiddleware, {path}"] - bare
    theirs = medians[f"hand-written gate, {path}"] - bare
    return ours / theirs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--loops", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="5 rounds of 5,000 calls")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.loops = 5, 5_000
    samples = collect(args.rounds, args.loops)
    medians = {name: median(values) for name, values in samples.items()}
    bare = medians[BARE]
    print(f"{'variant':<50} {'ns/request':>11} {'overhead ns':>12}")
    for name, value in medians.items():
        print(f"{name:<50} {value:>11.0f} {value - bare:>12.0f}")
    print()
    for path in PATHS:
        ratio = overhead_ratio(medians, path)
        print(f"overhead ratio middleware / hand-written gate, {path}: {ratio:.2f}")


if __name__ == "__main__":
    main()
