"""Who sent the request: the TCP peer of a WSGI environ, and whether it can be known.

The threat: components in front of the gate rewrite ``REMOTE_ADDR`` from
``X-Forwarded-For``, which the client writes. Werkzeug's ``ProxyFix`` saves the address it
replaced under ``environ["werkzeug.proxy_fix.orig"]``, and the gate judges that saved
address. But every ``ProxyFix`` layer saves what *it* saw: with two layers in front of the
gate, the saved address is the first layer's rewrite, taken from ``X-Forwarded-For``; a
client that connects directly and sends ``X-Forwarded-For: <the proxy's address>``
becomes the proxy.

From the environ alone, one layer and two cannot be told apart. So when the saved address
also appears in ``X-Forwarded-For`` (compared as addresses, with the quotes and escapes
``ProxyFix`` removes ignored), the address may have come from there: the peer cannot be
known, and nobody is trusted (reason ``ambiguous_peer``). With one ``ProxyFix`` layer,
that only happens when the proxy's own address is in ``X-Forwarded-For`` (a client on the
proxy's host); put the gate outside ``ProxyFix`` and it never happens.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["PROXY_FIX_ORIG", "in_forwarded_for", "peer_of", "proxy_fix_layers"]

#: Where Werkzeug's ProxyFix saves the values it rewrites (``REMOTE_ADDR`` among them).
PROXY_FIX_ORIG = "werkzeug.proxy_fix.orig"

_IGNORED = str.maketrans("", "", '"\\ \t')


def peer_of(environ: Mapping[str, Any]) -> tuple[str | None, bool]:
    """``(peer, ambiguous)``: the TCP peer of ``environ``, and whether it cannot be known.

    The peer is ``REMOTE_ADDR``, or the original one when ProxyFix rewrote it; ``None``
    when it is missing or not a string.
    """
    orig = environ.get(PROXY_FIX_ORIG)
    if isinstance(orig, dict) and "REMOTE_ADDR" in orig:
        value = orig["REMOTE_ADDR"]
        if not isinstance(value, str):
            return None, False
        return value, in_forwarded_for(value, environ.get("HTTP_X_FORWARDED_FOR"))
    value = environ.get("REMOTE_ADDR")
    return (value if isinstance(value, str) else None), False


def in_forwarded_for(address: str, forwarded_for: object) -> bool:
    """Whether ``address`` is one of the entries of an ``X-Forwarded-For`` value."""
    if not isinstance(forwarded_for, str) or not forwarded_for:
        return False
    wanted = _canonical(address)
    return any(_canonical(entry) == wanted for entry in forwarded_for.split(","))


def _canonical(text: str) -> str:
    """An address as one string per address: quotes, escapes and blanks removed,
    IPv4-mapped IPv6 as IPv4, IPv6 compressed; anything else lower-cased."""
    text = text.translate(_IGNORED)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text.lower()
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def proxy_fix_layers(application: object, is_gate: Callable[[object], bool]) -> int:
    """How many Werkzeug ``ProxyFix`` layers wrap the identity gate in a WSGI stack.

    Follows ``application`` inward through the attributes WSGI middleware conventionally
    keep their inner application in (``app``, ``application``, ``wsgi_app``), counting
    ProxyFix layers until a layer for which ``is_gate`` is true (the core WSGI
    middleware), or to the end of the chain when there is none (the gate is then further
    in, in Django).
    """
    count = 0
    seen: set[int] = set()
    current = application
    while current is not None and id(current) not in seen and len(seen) < 64:
        seen.add(id(current))
        if is_gate(current):
            break
        if any(
            cls.__name__ == "ProxyFix" and cls.__module__.startswith("werkzeug")
            for cls in type(current).__mro__
        ):
            count += 1
        current = next(
            (
                getattr(current, name)
                for name in ("app", "application", "wsgi_app")
                if getattr(current, name, None) is not None
            ),
            None,
        )
    return count
