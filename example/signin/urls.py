"""URL and cookie helpers: safe redirection targets, portal redirects, host:port parsing."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from urllib.parse import urlencode, urlsplit

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
_UNSAFE_CHARS = frozenset("\\ \"'<>`") | {chr(c) for c in range(0x20)} | {"\x7f"}


def is_safe_redirect(url: str, allowed_hosts: Collection[str]) -> bool:
    """Is ``url`` an absolute http(s) URL on one of ``allowed_hosts`` (any port)?

    This is the test double of Authelia's rule "only redirect inside the session
    domain": a relative, protocol-relative, credential-carrying or odd-looking URL is
    never safe.
    """
    if not url or _UNSAFE_CHARS.intersection(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return False
    host = parts.hostname or ""
    return host in {h.lower() for h in allowed_hosts}


def portal_redirect(portal_url: str, target: str, method: str) -> str:
    """Authelia's redirection URL: ``<portal>/?rd=<target>&rm=<method>``."""
    parts = urlsplit(portal_url)
    query = {"rd": target, "rm": method} if method else {"rd": target}
    return parts._replace(path=parts.path or "/", query=urlencode(query)).geturl()


def cookie_values(header_values: Iterable[str], name: str) -> list[str]:
    """Every value of cookie ``name`` in ``Cookie`` header values, in order."""
    values = []
    for header in header_values:
        for pair in header.split(";"):
            key, sep, value = pair.strip().partition("=")
            if sep and key.strip() == name:
                values.append(value.strip().strip('"'))
    return values


def split_host_port(text: str) -> tuple[str, int]:
    """``"127.0.0.1:9091"`` or ``"[::1]:9091"`` -> (host, port); ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise ValueError(f"expected HOST:PORT, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"an IPv6 address needs brackets: [{host}]:{port}")
    return host, int(port)


def join_host_port(host: str, port: int) -> str:
    """The inverse of `split_host_port`."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
