"""``RemoteIdentityMiddleware`` for ASGI: the same trust and parsing as the WSGI one.

The threat is the one described in :mod:`remote_identity.wsgi`: identity headers are
ordinary request headers, believable only when the TCP peer is the proxy. ASGI adds one
advantage: header names arrive as bytes, so ``Remote_User`` and ``Remote-User`` are still
distinct. A header that spells a scheme header with underscores is never passed on, from
any peer: frameworks (Django before 5.2.13/6.0.4) fold it onto the hyphenated name.

Scope keys read:

- ``type`` (``http`` and ``websocket`` are judged, anything else passes through);
- ``client`` (the TCP peer; ``None`` for a Unix socket);
- ``headers``.

Scope keys written (on a copy of the scope):

- ``remote_identity``: the ``Identity``, or ``None``;
- ``remote_identity.verdict``: the ``Verdict``;
- ``headers``: without the headers the gate removed (the scheme's headers from an
  untrusted peer, underscore spellings, the shared-secret header).

The peer must be the real TCP peer: a server that rewrites ``client`` from
``X-Forwarded-For`` (uvicorn's ``--proxy-headers``, on by default for 127.0.0.1) hides the
proxy. Run such a server with ``--no-proxy-headers``.

Responses of its own: 400 for an invalid identity from a trusted peer, 403 for identity
headers from an untrusted peer with ``on_untrusted="reject"`` (plain text naming the
reason code); for a WebSocket, a close before accept (the server answers 403).

Usage::

    from remote_identity.asgi import RemoteIdentityMiddleware

    app = RemoteIdentityMiddleware(app, trusted_proxies=["10.0.5.2"], scheme="authelia")
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, Literal

from .gate import ENVIRON_KEY, VERDICT_KEY, IdentityGate
from .parsing import DEFAULT_POLICY, ParsingPolicy
from .schemes import HeaderScheme
from .trust import TrustedProxies

__all__ = ["RemoteIdentityMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

security_log = logging.getLogger("remote_identity.security")


class RemoteIdentityMiddleware:
    """ASGI middleware that sets ``scope["remote_identity"]``; see the module docstring.

    Takes the same keyword arguments as :class:`remote_identity.wsgi.RemoteIdentityMiddleware`.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_proxies: TrustedProxies | Iterable[str] = (),
        scheme: str | HeaderScheme = "authelia",
        policy: ParsingPolicy = DEFAULT_POLICY,
        on_untrusted: Literal["strip", "reject"] = "strip",
        on_invalid: Literal["reject", "anonymous"] = "reject",
        shared_secret_header: str | None = None,
        shared_secret: str | None = None,
    ) -> None:
        self.app = app
        self.gate = IdentityGate(
            trusted_proxies=trusted_proxies,
            scheme=scheme,
            policy=policy,
            on_untrusted=on_untrusted,
            on_invalid=on_invalid,
            shared_secret_header=shared_secret_header,
            shared_secret=shared_secret,
        )
        watched = [*self.gate.scheme.headers]
        if self.gate.shared_secret_header is not None:
            watched.append(self.gate.shared_secret_header)
        # Lower-cased header name with "_" for "-" -> the name as the scheme spells it.
        self._watched = {name.lower().encode("latin-1"): name for name in watched}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        environ, kept, underscored = self._environ(scope)
        if underscored:
            security_log.warning(
                "underscore header spellings removed from peer %s: %s",
                environ.get("REMOTE_ADDR"),
                ", ".join(underscored),
                extra={"reason": "underscore_header", "peer": environ.get("REMOTE_ADDR")},
            )
        verdict = self.gate.process(environ)
        scope = dict(scope)
        scope[ENVIRON_KEY] = verdict.identity
        scope[VERDICT_KEY] = verdict
        scope["headers"] = [
            (name, value)
            for name, value in kept
            if name not in self._watched or _key(name) in environ
        ]
        if verdict.outcome != "rejected":
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        status, body = verdict.refusal()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode("utf-8")})

    def _environ(self, scope: Scope) -> tuple[dict[str, Any], list[tuple[bytes, bytes]], list[str]]:
        """A WSGI-style environ of the watched headers, the headers kept, the ones refused."""
        client = scope.get("client")
        environ: dict[str, Any] = {"REMOTE_ADDR": client[0] if client else None}
        kept = []
        underscored = []
        for name, value in scope.get("headers", ()):
            lowered = name.lower()
            if b"_" in lowered and lowered.replace(b"_", b"-") in self._watched:
                underscored.append(lowered.decode("latin-1"))
                continue
            kept.append((lowered, value))
            if lowered in self._watched:
                key = _key(lowered)
                text = value.decode("latin-1")
                # Repeated headers are joined with "," as WSGI servers do, so the same
                # rules (a comma in a username) catch them.
                environ[key] = f"{environ[key]},{text}" if key in environ else text
        return environ, kept, underscored


def _key(name: bytes) -> str:
    return "HTTP_" + name.decode("latin-1").upper().replace("-", "_")
