"""Authelia's authz request contract: how the original request is described, and the
status of an unauthorized reply. Used by the portal endpoints and by the proxy.
"""

from __future__ import annotations

from email.message import Message

_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_BAD_URL_CHARS = frozenset(' "<>\\^`{|}') | {chr(c) for c in range(0x20)} | {"\x7f"}


class TargetError(ValueError):
    """The auth request does not describe a usable original request (Authelia: 401)."""


def _method(value: str | None, header: str) -> str:
    if not value:
        raise TargetError(f"header {header!r} is empty")
    if not set(value) <= _TOKEN:
        raise TargetError(f"header {header!r} has invalid characters")
    return value


def _url(url: str, header: str) -> str:
    scheme, sep, rest = url.partition("://")
    host, slash, _ = rest.partition("/")
    if not sep or scheme.lower() not in ("http", "https") or not host or not slash:
        raise TargetError(f"{header}: expected an absolute http(s) URL, got {url!r}")
    if _BAD_URL_CHARS.intersection(url) or "@" in host:
        raise TargetError(f"{header}: invalid characters in {url!r}")
    return url


def forward_auth_target(headers: Message) -> tuple[str, str]:
    """(method, URL) from X-Forwarded-Method/-Proto/-Host/-Uri (Caddy, Traefik, HAProxy)."""
    proto = headers.get("X-Forwarded-Proto", "")
    host = headers.get("X-Forwarded-Host", "")
    uri = headers.get("X-Forwarded-Uri", "") or "/"
    if not proto or not host:
        raise TargetError("headers 'X-Forwarded-Proto' and 'X-Forwarded-Host' are required")
    url = _url(f"{proto}://{host}{uri if uri.startswith('/') else '/' + uri}", "X-Forwarded-*")
    return _method(headers.get("X-Forwarded-Method"), "X-Forwarded-Method"), url


def auth_request_target(headers: Message) -> tuple[str, str]:
    """(method, URL) from X-Original-Method and X-Original-URL (nginx auth_request)."""
    url = _url(headers.get("X-Original-URL", ""), "X-Original-URL")
    return _method(headers.get("X-Original-Method"), "X-Original-Method"), url


def target_host(url: str) -> str:
    """The host name (lowercase, no port, no brackets) of a URL that `_url` accepted."""
    netloc = url.partition("://")[2].partition("/")[0].lower()
    if netloc.startswith("["):
        return netloc[1:].partition("]")[0]
    return netloc.rpartition(":")[0] if ":" in netloc else netloc


def unauthorized_status(method: str, headers: Message) -> int:
    """401 for XHR and non-HTML clients, else 302 (GET/HEAD/OPTIONS) or 303, like Authelia.

    Authelia's test of "accepts HTML": some entry of Accept is ``text/html``, or the
    first entry is ``*/*``; a request without Accept gets 401.
    """
    if headers.get("X-Requested-With", "").lower() == "xmlhttprequest":
        return 401
    accepts = [a.split(";", 1)[0].strip() for a in headers.get("Accept", "").split(",")]
    if "text/html" not in accepts and accepts[0] != "*/*":
        return 401
    return 302 if method in ("GET", "HEAD", "OPTIONS", "") else 303
