"""Loopback addresses, free ports and bounded waits for a listening socket.

Every process of the end-to-end tests lives on 127.0.0.0/8; distinct addresses make
trusted and untrusted peers real TCP peers:

- ``LISTEN`` (127.0.0.1): where every server, proxy and the sign-in front listen;
- ``PROXY_SOURCE`` (127.0.0.2): the address a proxy connects to the application from,
  the one the application trusts (Caddy 2.6 cannot choose it: it connects from 127.0.0.1);
- ``ATTACKER`` (127.0.0.3): a client that talks to the application directly.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable

LISTEN = "127.0.0.1"
PROXY_SOURCE = "127.0.0.2"
ATTACKER = "127.0.0.3"


def require_loopback(host: str) -> str:
    """``host`` itself if it is a loopback IP address; ``ValueError`` otherwise."""
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the end-to-end tests use loopback addresses only, not {host!r}")
    return host


def free_port(host: str = LISTEN) -> int:
    """A TCP port that is free on ``host`` right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((require_loopback(host), 0))
        port: int = sock.getsockname()[1]
        return port


def is_listening(host: str, port: int) -> bool:
    """Whether a TCP connection to ``host:port`` succeeds now."""
    try:
        with socket.create_connection((require_loopback(host), port), timeout=1.0):
            return True
    except OSError:
        return False


def wait_until(
    condition: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.05
) -> None:
    """Poll ``condition`` until it is true; ``TimeoutError`` naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
