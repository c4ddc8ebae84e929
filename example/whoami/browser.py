"""A tiny HTTP client with cookies for the demo's scripted walk-through (stdlib only).

Redirects are returned, not followed, so that each step can check where it is sent.
Proxy environment variables (``http_proxy``) are ignored: everything is on loopback.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message
from http.cookiejar import CookieJar
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import (
    HTTPCookieProcessor,
    HTTPRedirectHandler,
    ProxyHandler,
    Request,
    build_opener,
)

HTML = {"Accept": "text/html"}
JSON = {"Accept": "application/json"}


@dataclass(frozen=True)
class Response:
    """Status, headers and body of one response."""

    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def json(self) -> Any:
        return json.loads(self.body)


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError, which `Browser.request` returns


class Browser:
    """One client with its own cookie jar: one "browser" of one user."""

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout
        self.jar = CookieJar()
        self._opener = build_opener(ProxyHandler({}), HTTPCookieProcessor(self.jar), _NoRedirect)

    def request(
        self,
        method: str,
        url: str,
        *,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request; any HTTP status is a `Response`, never an exception."""
        if not url.startswith("http://"):
            raise ValueError(f"expected an http:// URL, got {url!r}")
        data = urlencode(form).encode("utf-8") if form is not None else None
        # Only http:// gets here (checked above).
        request = Request(url, data=data, method=method, headers=dict(headers or {}))  # noqa: S310
        try:
            with self._opener.open(request, timeout=self.timeout) as reply:
                return Response(reply.status, reply.headers, reply.read())
        except HTTPError as error:
            with error:
                return Response(error.code, error.headers, error.read())

    def get(self, url: str, headers: Mapping[str, str] = HTML) -> Response:
        return self.request("GET", url, headers=headers)

    def cookie(self, name: str) -> str | None:
        """The value of the cookie ``name``, whatever its host."""
        return next((c.value for c in self.jar if c.name == name), None)


def wait_until_up(urls: Iterable[str], pids: Iterable[int], timeout: float) -> str | None:
    """Wait until every URL answers (any HTTP status); None, or why it did not happen."""
    deadline = time.monotonic() + timeout
    pending = list(urls)
    browser = Browser(timeout=2.0)
    while pending:
        for pid in pids:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return f"process {pid} exited"
        try:
            browser.get(pending[0])
            pending.pop(0)
            continue
        except (URLError, OSError):
            pass
        if time.monotonic() > deadline:
            return f"{pending[0]} did not answer within {timeout:.0f} s"
        time.sleep(0.1)
    return None
