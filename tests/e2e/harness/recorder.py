"""An upstream that records the raw header lines each request brought, in a thread.

Put behind a proxy in place of the application, it shows exactly what the proxy
forwards: header names as spelled, repeats, and value bytes (decoded as latin-1).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .net import LISTEN


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        record: dict[str, Any] = {
            "peer": self.client_address[0],
            "path": self.path,
            "headers": [[name, value] for name, value in self.headers.items()],
        }
        self.server.records.append(record)
        body = json.dumps(record).encode("ascii")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: the test reads the records


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    records: list[dict[str, Any]]


@dataclass
class Recorder:
    """A running recorder: its port, and every request it received so far."""

    port: int
    records: list[dict[str, Any]]


@contextmanager
def header_recorder() -> Iterator[Recorder]:
    """Run the recorder on a free port of 127.0.0.1; stop it afterwards."""
    server = _Server((LISTEN, 0), _Handler)
    server.records = []
    thread = threading.Thread(target=server.serve_forever, name="header-recorder", daemon=True)
    thread.start()
    try:
        yield Recorder(int(server.server_address[1]), server.records)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def header_lines(record: dict[str, Any], name: str) -> list[str]:
    """Values of every header line whose name is ``name`` ignoring case, in order."""
    return [value for key, value in record["headers"] if key.lower() == name.lower()]


def names(record: dict[str, Any]) -> list[str]:
    """Every header name as the proxy spelled it."""
    return [key for key, _ in record["headers"]]
