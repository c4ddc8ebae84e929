"""Start the sign-in front (portal, and optionally the proxy) in daemon threads.

from signin.server import start
front = start("example/users.yml", portal=("127.0.0.1", 0),
              proxy=("127.0.0.1", 0), upstream="http://127.0.0.1:8001")
...  # front.portal_url, front.proxy_url
front.stop()
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .front import Front
from .httpbase import FrontServer
from .portal import PortalHandler
from .proxy import ProxyHandler
from .rules import DEFAULT_RULES, AccessRules
from .sessions import SessionStore
from .signing import AssertionSigner
from .urls import LOOPBACK_HOSTS, join_host_port
from .users import UsersDatabase

_POLL_INTERVAL = 0.05  # seconds; how soon `stop` is noticed by the serving threads


@dataclass
class RunningFront:
    """A started sign-in front; `stop` shuts its listeners down."""

    front: Front
    portal_url: str
    proxy_url: str | None
    servers: list[FrontServer] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting requests and close the listening sockets."""
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for thread in self.threads:
            thread.join(timeout)

    def __enter__(self) -> RunningFront:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def parse_upstream(url: str) -> tuple[str, int]:
    """``http://127.0.0.1:8001`` -> (host, port); only plain http without a path."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"upstream must look like http://HOST:PORT, got {url!r}")
    return parts.hostname, parts.port or 80


def _url(server: FrontServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{join_host_port(str(host), int(port))}"


def start(
    users_file: str | os.PathLike[str],
    *,
    portal: tuple[str, int] = ("127.0.0.1", 9091),
    proxy: tuple[str, int] | None = None,
    upstream: str | None = None,  # required with proxy, e.g. "http://127.0.0.1:8001"
    public_url: str | None = None,  # the portal's URL in redirects; default: where it listens
    rules: AccessRules = DEFAULT_RULES,
    allowed_hosts: Iterable[str] = (),  # added to the loopback names and the public URL's host
    source_address: str | None = None,  # local IP for upstream connections, e.g. 127.0.0.2
    identity_on_bypass: bool = True,  # Authelia's behaviour; False: bypass never has identity
    sessions: SessionStore | None = None,
    sign_assertions: bool = False,  # proxy adds a Pomerium-style X-Pomerium-Jwt-Assertion
) -> RunningFront:
    """Load the users file, bind the listeners, serve them in daemon threads."""
    if (proxy is None) != (upstream is None):
        raise ValueError("proxy and upstream go together")
    front = Front(
        UsersDatabase(users_file),
        public_url=public_url or "http://unbound",  # replaced below once the port is known
        allowed_hosts={*LOOPBACK_HOSTS, *allowed_hosts},
        rules=rules,
        sessions=sessions,
        identity_on_bypass=identity_on_bypass,
    )
    servers = [FrontServer(portal, PortalHandler, front)]
    try:
        if not public_url:
            front.public_url = _url(servers[0])
        front.allowed_hosts |= {urlsplit(front.public_url).hostname or "127.0.0.1"}
        if proxy is not None and upstream is not None:
            servers.append(
                FrontServer(
                    proxy,
                    ProxyHandler,
                    front,
                    upstream=parse_upstream(upstream),
                    source_address=source_address,
                )
            )
            servers[-1].signer = AssertionSigner() if sign_assertions else None
    except BaseException:
        servers[0].server_close()
        raise
    running = RunningFront(front, _url(servers[0]), _url(servers[1]) if proxy else None, servers)
    for server in servers:
        thread = threading.Thread(
            target=server.serve_forever, args=(_POLL_INTERVAL,), name="signin-front", daemon=True
        )
        thread.start()
        running.threads.append(thread)
    return running
