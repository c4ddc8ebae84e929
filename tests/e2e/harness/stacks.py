"""A stack: the example site under one server, behind one proxy, with the sign-in front.

``StackSpec`` names a combination (``nginx-gunicorn``); ``running_stack`` starts the
application server and the proxy from its recipe, and stops both afterwards, checking
that the server's log has no traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from .net import LISTEN, free_port
from .processes import ManagedProcess
from .proxies import PROXIES, SOURCE_ADDRESS, start_proxy
from .recipes import SECRET_HEADER, SECRET_VALUE, Ports
from .servers import SERVERS, example_app, start_server
from .signin import SignInFront
from .tokens import HOST, JWKS_PATH


@dataclass(frozen=True)
class StackSpec:
    """Which proxy in front of which server, whether the shared secret is on, and for a
    signing recipe (``signed``), whether the application also trusts the proxy's address
    (``network``: both must hold) or the signature alone decides."""

    proxy: str
    server: str
    secret: bool = False
    signed: bool = False
    network: bool = True

    @property
    def id(self) -> str:
        """``nginx-gunicorn``, ``caddy-uvicorn+secret``, ``nginx-signed-uvicorn-no-address``."""
        return (
            f"{self.proxy}-{self.server}"
            + ("+secret" if self.secret else "")
            + ("" if self.network else "-no-address")
        )

    @property
    def trusted(self) -> str:
        """The one address the application trusts (where the proxy connects from), or
        ``""`` for none."""
        return SOURCE_ADDRESS[self.proxy] if self.network else ""


#: Every proxy in front of every server. Caddy runs with the shared secret: it connects
#: from 127.0.0.1 like every other local process, so its recipe recommends the secret.
ALL_STACKS = tuple(
    StackSpec(proxy, server, secret=proxy == "caddy") for proxy in PROXIES for server in SERVERS
)
#: The signing recipe: under gunicorn with the proxy's address trusted too (both must
#: hold), under uvicorn with the signature alone.
SIGNED_STACKS = (
    StackSpec("nginx-signed", "gunicorn", signed=True),
    StackSpec("nginx-signed", "uvicorn", signed=True, network=False),
)


@dataclass
class Stack:
    """A running stack: where to send requests, and its processes."""

    spec: StackSpec
    ports: Ports
    app: ManagedProcess
    proxy: ManagedProcess
    front: SignInFront

    @property
    def proxy_port(self) -> int:
        """Where a browser talks to the site."""
        return self.ports.proxy

    @property
    def app_port(self) -> int:
        """The application server itself (attackers that skip the proxy)."""
        return self.ports.app


def example_env(spec: StackSpec, front: SignInFront, database: str) -> dict[str, str]:
    """The example site's environment for ``spec``."""
    env = {
        "EXAMPLE_TRUSTED_PROXIES": spec.trusted,
        "EXAMPLE_DATABASE": database,
        "EXAMPLE_DEBUG": "0",
        "EXAMPLE_LOGOUT_URL": f"http://127.0.0.1:{front.port}/logout",
    }
    if spec.secret:
        env |= {
            "EXAMPLE_SHARED_SECRET_HEADER": SECRET_HEADER,
            "EXAMPLE_SHARED_SECRET": SECRET_VALUE,
        }
    if spec.signed:
        # As the recipe's header says, with a short refetch cooldown: a test restarts the
        # front with a new key and expects the next request to fetch it.
        assertion = {
            "preset": "pomerium",
            "host": HOST,
            "jwks_url": f"http://{LISTEN}:{front.port}{JWKS_PATH}",
            "refetch_cooldown": 1,
        }
        env["EXAMPLE_ASSERTION"] = json.dumps(assertion)
    return env


@contextmanager
def running_stack(
    spec: StackSpec,
    front: SignInFront,
    database: str,
    directory: Path,
    *,
    workers: int = 1,
    threads: int = 4,
) -> Iterator[Stack]:
    """Start the example under ``spec.server`` behind ``spec.proxy``; stop both afterwards."""
    ports = Ports(proxy=free_port(), auth=front.port, app=free_port())
    log_dir = directory / "logs"
    with ExitStack() as cleanup:
        app = start_server(
            spec.server,
            example_app(example_env(spec, front, database)),
            ports.app,
            log_dir,
            name=f"{spec.id}-{spec.server}",
            workers=workers,
            threads=threads,
        )
        cleanup.callback(app.stop)
        proxy = start_proxy(
            spec.proxy, ports, directory / spec.id, log_dir, name=f"{spec.id}-{spec.proxy}"
        )
        cleanup.callback(proxy.stop)
        yield Stack(spec, ports, app, proxy, front)
    errors = app.error_lines()
    assert not errors, f"{spec.id}: errors in {app.log_path}:\n" + "\n".join(errors[:20])
