"""The original request an authorization is for: its host and its path, parsed strictly.

The front chooses an access rule from the path and protects only the hosts it knows;
both come from values a client writes (``Host``, ``X-Forwarded-Host``,
``X-Forwarded-Uri``, ``X-Original-URL``, the request line). Glued into one URL and split
again, a crafted host would move the path: ``Host: 127.0.0.1/public/?`` in front of
``/admins-only/`` reads as ``http://127.0.0.1/public/?/admins-only/``, whose path is the
bypassed ``/public/``, and ``X-Forwarded-Host: 127.0.0.1:80#`` turns every path into
``/``. So each part is parsed on its own, and refused unless it is exactly:

- a host: a DNS name (letters, digits, ``-`` and ``.``), an IPv4 address, or an IPv6
  address in brackets, then optionally ``:`` and a port of 1 to 5 digits (at most
  65535); nothing else (no ``/``, ``?``, ``#``, ``@``, ``\\``, white space);
- a path: origin-form, ``/`` then any characters but ``#``, ``\\``, white space and
  control characters (a query after ``?`` is part of it, and ignored by the rules).

The URL a `Target` gives (the portal's ``rd``, Authelia's ``X-Original-URL``) is built
from the parsed parts, never split again.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

_NAME = re.compile(
    r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$"
)
_PORT = re.compile(r"^[0-9]{1,5}$")
_PATH_FORBIDDEN = re.compile(r"[#\\\s\x00-\x1f\x7f]")
SCHEMES = ("http", "https")


class TargetError(ValueError):
    """The original request is not described exactly (Authelia answers 401)."""


@dataclass(frozen=True, slots=True)
class Target:
    """One original request: scheme, host (lowercase, IPv6 without brackets), port, path."""

    scheme: str
    host: str
    port: int | None
    path: str  # origin-form: starts with "/", may carry "?query"

    @property
    def authority(self) -> str:
        """``host[:port]`` as in a URL, IPv6 in brackets."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port is None else f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The absolute URL, built from the parsed parts."""
        return f"{self.scheme}://{self.authority}{self.path}"


def parse_host(value: str, what: str = "Host") -> tuple[str, int | None]:
    """``(host, port)`` of a ``Host``-style value; `TargetError` unless it is exactly one."""
    text = value.strip(" \t")
    host, port_text = text, ""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise TargetError(f"{what}: expected [IPv6]:PORT, got {value!r}")
        port_text = rest[1:] if rest else ""
        try:
            if ipaddress.ip_address(host).version != 6:
                raise ValueError(host)
        except ValueError:
            raise TargetError(f"{what}: {host!r} in brackets is not an IPv6 address") from None
        if rest == ":":
            raise TargetError(f"{what}: empty port in {value!r}")
    elif ":" in text:
        host, _, port_text = text.partition(":")
        if not port_text:
            raise TargetError(f"{what}: empty port in {value!r}")
    host = host.lower()
    if not text.startswith("[") and not _NAME.match(host):
        raise TargetError(f"{what}: expected a host name or address, got {value!r}")
    if port_text and (not _PORT.match(port_text) or not 0 < int(port_text) <= 65535):
        raise TargetError(f"{what}: expected a port from 1 to 65535, got {value!r}")
    return host, int(port_text) if port_text else None


def parse_path(value: str, what: str = "path") -> str:
    """An origin-form request target (``/path?query``); `TargetError` otherwise."""
    if not value.startswith("/"):
        raise TargetError(f"{what}: expected a path starting with '/', got {value!r}")
    if _PATH_FORBIDDEN.search(value):
        raise TargetError(f"{what}: '#', '\\\\', white space or a control character in {value!r}")
    return value


def parse_scheme(value: str, what: str = "scheme") -> str:
    """``http`` or ``https`` (any case); `TargetError` otherwise."""
    if value.lower() not in SCHEMES:
        raise TargetError(f"{what}: expected http or https, got {value!r}")
    return value.lower()


def parse_url(value: str, what: str = "URL") -> Target:
    """An absolute ``http(s)://host[:port]/path`` URL, each part parsed strictly."""
    scheme, sep, rest = value.partition("://")
    if not sep:
        raise TargetError(f"{what}: expected an absolute http(s) URL, got {value!r}")
    end = len(rest)
    for mark in "/?#":
        if mark in rest:
            end = min(end, rest.index(mark))
    authority, path = rest[:end], rest[end:]
    if not path.startswith("/"):
        raise TargetError(f"{what}: expected a path after the host, got {value!r}")
    host, port = parse_host(authority, what)
    return Target(parse_scheme(scheme, what), host, port, parse_path(path, what))
