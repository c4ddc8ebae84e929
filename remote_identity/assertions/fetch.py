"""Reading key documents: from the one pinned URL (standard library HTTP) or a file.

A fetch never follows a redirect (the pinned URL is the only place keys come from),
reads at most ``max_bytes``, and gives up after ``timeout`` seconds per network
operation, at most twice that in total. Nothing a request carries (no ``jku``, ``x5u``
or ``kid`` URL from a token, no request header) ever reaches this module: the URL is
fixed when the verifier is built.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigurationError

__all__ = ["MAX_DOCUMENT_BYTES", "FetchError", "Fetched", "check_url", "fetch_url", "read_file"]

#: The largest key document read (a JWKS is a few kilobytes).
MAX_DOCUMENT_BYTES = 1024 * 1024
_CHUNK = 64 * 1024
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,10})\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)", re.IGNORECASE)
_USER_AGENT = "remote-identity (key fetch)"


@dataclass(frozen=True, slots=True)
class Fetched:
    """A key document and how long its publisher says it may be cached.

    Attributes:
        body: the document's bytes.
        max_age: seconds from ``Cache-Control: max-age`` (0 for ``no-store``/``no-cache``),
            ``None`` when the publisher said nothing.
    """

    body: bytes
    max_age: float | None = None


class FetchError(Exception):
    """A key document could not be read.

    Attributes:
        status: the HTTP status when the server answered with an error, else ``None``.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx then surfaces as an HTTPError


_OPENER = urllib.request.build_opener(_NoRedirects())


def check_url(url: object, option: str) -> str:
    """``url`` if keys may be fetched from it, else ``ConfigurationError``.

    HTTPS only, except plain HTTP to a loopback address (development and tests); no
    credentials, no fragment.
    """
    if not isinstance(url, str) or not url:
        raise ConfigurationError(f"{option} must be a URL string, not {url!r}")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a malformed port
    except ValueError:
        raise ConfigurationError(f"{option}: {url!r} is not a valid URL") from None
    if parts.scheme not in ("https", "http") or not host:
        raise ConfigurationError(f"{option}: {url!r} must be an https:// URL")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ConfigurationError(
            f"{option}: {url!r} must use https:// (plain http only to a loopback address)"
        )
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise ConfigurationError(f"{option}: {url!r} must not contain credentials or a fragment")
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def max_age(cache_control: str | None) -> float | None:
    """The lifetime a ``Cache-Control`` value grants, ``None`` when it grants none."""
    if not cache_control:
        return None
    if _NO_CACHE.search(cache_control):
        return 0.0
    match = _MAX_AGE.search(cache_control)
    return float(match.group(1)) if match else None


def fetch_url(url: str, timeout: float, max_bytes: int = MAX_DOCUMENT_BYTES) -> Fetched:
    """GET ``url``; ``FetchError`` for anything but a 200 with a body of sane size."""
    deadline = time.monotonic() + 2 * timeout
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked by check_url)
        url, headers={"Accept": "application/json, */*", "User-Agent": _USER_AGENT}
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            if response.status != 200:
                raise FetchError(f"HTTP {response.status}", status=response.status)
            body = _read(response, deadline, max_bytes)
            return Fetched(body, max_age(response.headers.get("Cache-Control")))
    except urllib.error.HTTPError as error:
        error.close()  # it holds the connection
        raise FetchError(f"HTTP {error.code}", status=error.code) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as error:
        raise FetchError(f"{type(error).__name__}: {error}") from None


def _read(response: http.client.HTTPResponse, deadline: float, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= max_bytes:  # each pass reads at least one byte, or returns, or raises
        if time.monotonic() > deadline:
            raise FetchError("the server sent the document too slowly")
        chunk = response.read1(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
    raise FetchError(f"the document is larger than {max_bytes} bytes")


def read_file(path: str | os.PathLike[str], max_bytes: int = MAX_DOCUMENT_BYTES) -> Fetched:
    """The bytes of a key file; ``FetchError`` if it cannot be read or is too large."""
    try:
        with open(path, "rb") as file:
            body = file.read(max_bytes + 1)
    except OSError as error:
        raise FetchError(f"{type(error).__name__}: {error.strerror or error}") from None
    if len(body) > max_bytes:
        raise FetchError(f"the file is larger than {max_bytes} bytes")
    return Fetched(body)
