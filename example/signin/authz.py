"""Authelia's authz request contract: how the original request is described, and the
status of an unauthorized reply. Used by the portal endpoints and by the proxy.
"""

from __future__ import annotations

from email.message import Message

from .targets import Target, TargetError, parse_host, parse_path, parse_scheme, parse_url

__all__ = [
    "Target",
    "TargetError",
    "auth_request_target",
    "forward_auth_target",
    "unauthorized_status",
]

_TOKEN = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_BAD_URL_CHARS = frozenset(' "<>\\^`{|}') | {chr(c) for c in range(0x20)} | {"\x7f"}


def _method(value: str | None, header: str) -> str:
    if not value:
        raise TargetError(f"header {header!r} is empty")
    if not set(value) <= _TOKEN:
        raise TargetError(f"header {header!r} has invalid characters")
    return value


def _clean(target: Target, what: str) -> Target:
    if _BAD_URL_CHARS.intersection(target.url):
        raise TargetError(f"{what}: invalid characters in {target.url!r}")
    return target


def _single(headers: Message, name: str) -> str:
    values = headers.get_all(name) or []
    if len(values) > 1:
        raise TargetError(f"header {name!r} sent {len(values)} times")
    return values[0] if values else ""


def forward_auth_target(headers: Message) -> tuple[str, Target]:
    """(method, target) from X-Forwarded-Method/-Proto/-Host/-Uri (Caddy, Traefik, HAProxy).

    Each header is parsed on its own (`signin.targets`); an absent ``X-Forwarded-Uri``
    means ``/``.
    """
    proto = _single(headers, "X-Forwarded-Proto")
    host = _single(headers, "X-Forwarded-Host")
    if not proto or not host:
        raise TargetError("headers 'X-Forwarded-Proto' and 'X-Forwarded-Host' are required")
    name, port = parse_host(host, "X-Forwarded-Host")
    path = parse_path(_single(headers, "X-Forwarded-Uri") or "/", "X-Forwarded-Uri")
    target = _clean(
        Target(parse_scheme(proto, "X-Forwarded-Proto"), name, port, path), "X-Forwarded-*"
    )
    return _method(_single(headers, "X-Forwarded-Method"), "X-Forwarded-Method"), target


def auth_request_target(headers: Message) -> tuple[str, Target]:
    """(method, target) from X-Original-Method and X-Original-URL (nginx auth_request)."""
    target = _clean(
        parse_url(_single(headers, "X-Original-URL"), "X-Original-URL"), "X-Original-URL"
    )
    return _method(_single(headers, "X-Original-Method"), "X-Original-Method"), target


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
