"""A small HTTP client that chooses its source address and sends headers byte for byte.

``http.client`` is enough for every attack: it sends header names as given (underscores,
repeats) and bytes values unchanged (invalid UTF-8, control characters other than CR/LF).
Each request uses its own connection, so nothing leaks from one case to the next.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from .net import LISTEN, require_loopback

Header = tuple[str, str | bytes]

TIMEOUT = 30.0  # seconds for one request; nothing here should take more than a second


@dataclass(frozen=True)
class Response:
    """What came back: status, headers (in order, names as sent) and body."""

    status: int
    headers: list[tuple[str, str]] = field(repr=False)
    body: bytes = field(repr=False)

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (case-insensitive), or ``None``."""
        values = self.header_values(name)
        return values[0] if values else None

    def header_values(self, name: str) -> list[str]:
        """Every value of header ``name`` (case-insensitive)."""
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def cookies(self) -> dict[str, str]:
        """Cookie name -> value from the ``Set-Cookie`` headers."""
        jar = {}
        for value in self.header_values("Set-Cookie"):
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0].strip()
        return jar

    def json(self) -> Any:
        """The body parsed as JSON (``ValueError`` with the body if it is not)."""
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ValueError(f"status {self.status}, not JSON: {self.body[:500]!r}") from exc


def request(
    port: int,
    path: str = "/",
    *,
    method: str = "GET",
    headers: Iterable[Header] = (),
    cookies: dict[str, str] | None = None,
    body: bytes | None = None,
    source: str = LISTEN,
    host: str = LISTEN,
) -> Response:
    """Send one request to ``host:port`` from ``source``; the ``Response``."""
    conn = http.client.HTTPConnection(
        require_loopback(host), port, timeout=TIMEOUT, source_address=(require_loopback(source), 0)
    )
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            conn.putheader(name, value)
        if cookies:
            conn.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.putheader("Connection", "close")
        conn.endheaders(body)
        reply = conn.getresponse()
        return Response(reply.status, reply.getheaders(), reply.read())
    finally:
        conn.close()


def form(fields: Sequence[tuple[str, str]]) -> bytes:
    """An ``application/x-www-form-urlencoded`` body."""
    return urlencode(list(fields)).encode("ascii")
