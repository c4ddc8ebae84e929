"""Per-request cost of the WSGI middleware against a minimal hand-written trust gate.

Run: ``python benchmarks/wsgi_overhead.py`` (``--quick`` for a short run).

Every variant wraps the same bare WSGI application and is called in-process with a fresh
copy of the same environ. The variants are interleaved round by round and each figure is
the median of the rounds, so drift on a shared machine hits all variants alike. The
figure that matters is the ratio of the middleware to the hand-written gate.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from remote_identity.wsgi import RemoteIdentityMiddleware

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--loops", type=int, default=20_000)
    parser.add_argument("--quick", action="store_true", help="5 rounds of 5,000 calls")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.loops = 5, 5_000
    # A spoofing peer is logged on every request; measure the work, not the log handler.
    logging.getLogger("remote_identity").setLevel(logging.CRITICAL)

    middleware = RemoteIdentityMiddleware(bare_app, trusted_proxies=TRUSTED)
    gate = hand_written_gate(bare_app)
    trusted = {**BASE, "REMOTE_ADDR": PROXY, **IDENTITY_HEADERS}
    spoofed = {**BASE, "REMOTE_ADDR": ATTACKER, **IDENTITY_HEADERS}
    plain = {**BASE, "REMOTE_ADDR": ATTACKER}
    variants: dict[str, tuple[App, Environ]] = {
        "bare app, trusted request": (bare_app, trusted),
        "hand-written gate, trusted proxy": (gate, trusted),
        "RemoteIdentityMiddleware, trusted proxy": (middleware, trusted),
        "hand-written gate, untrusted spoofer": (gate, spoofed),
        "RemoteIdentityMiddleware, untrusted spoofer": (middleware, spoofed),
        "hand-written gate, untrusted, no headers": (gate, plain),
        "RemoteIdentityMiddleware, untrusted, no headers": (middleware, plain),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for name, (app, environ) in variants.items():
        measure(app, environ, 1_000)  # warm caches
    for _ in range(args.rounds):
        for name, (app, environ) in variants.items():
            samples[name].append(measure(app, environ, args.loops))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    bare = medians["bare app, trusted request"]
    print(f"{'variant':<50} {'ns/request':>11} {'overhead ns':>12}")
    for name, value in medians.items():
        print(f"{name:<50} {value:>11.0f} {value - bare:>12.0f}")
    print()
    for path in ("trusted proxy", "untrusted spoofer", "untrusted, no headers"):
        ours = medians[f"RemoteIdentityMiddleware, {path}"] - bare
        theirs = medians[f"hand-written gate, {path}"] - bare
        print(f"overhead ratio middleware / hand-written gate, {path}: {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
