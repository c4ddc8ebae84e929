"""A real HTTP key server on loopback that tests rotate, break and slow down.

It stands in for the key endpoints that cannot run here (Pomerium's JWKS, Cloudflare's
certs, Google's PEM map, AWS ALB's per-kid PEM keys): each path serves what the test set
last, with the status, headers, delay or drip the test chose, and every request is
counted by path.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Route:
    """What one path answers."""

    body: bytes
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before the response starts
    drip: float = 0.0  # seconds between body bytes (0: send at once)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        keys = self.server.owner
        route = keys.route(self.path)
        if route.delay and keys.stopping.wait(route.delay):
            return
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(route.body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if not route.drip:
            self.wfile.write(route.body)
            return
        for byte in route.body:  # bounded by the body's length
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            if keys.stopping.wait(route.drip):
                return

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    owner: KeyServer


class KeyServer:
    """``with KeyServer() as keys: keys.serve_json("/jwks", {...}); keys.url("/jwks")``."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self._routes: dict[str, Route] = {}
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="key-server", daemon=True
        )
        self._thread.start()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes, **options: Any) -> None:
        """Answer ``path`` with ``body`` (and the ``Route`` options) from now on."""
        with self._lock:
            self._routes[path] = Route(body, **options)

    def serve_json(self, path: str, document: object, **options: Any) -> None:
        self.serve(path, json.dumps(document).encode(), **options)

    def route(self, path: str) -> Route:
        with self._lock:
            self._counts[path] += 1
            return self._routes.get(path, Route(b"not found", status=404))

    def count(self, path: str | None = None) -> int:
        """Requests received for ``path`` (all paths when ``None``)."""
        with self._lock:
            return self._counts[path] if path is not None else sum(self._counts.values())

    def stop(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self) -> KeyServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def refused_url(path: str = "/jwks") -> str:
    """A loopback URL where nothing listens (connection refused)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
