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
- ``remote_identity.orig``: what was removed, as under WSGI: the environ key of each
  scheme header removed (``HTTP_REMOTE_USER``) with its value (latin-1 text, repeated
  headers joined with ``,``), the shared-secret header's key with ``"[redacted]"``, and
  each underscore spelling under its name as received (``remote_user``);
- ``headers``: without the headers the gate removed (the scheme's headers from an
  untrusted peer, underscore spellings, the shared-secret header).

An underscore spelling removed is counted and logged (``underscore_header``, rate-limited
like every security record). Servers themselves do not fold underscores under ASGI
(granian, uvicorn and hypercorn pass header names on as received); frameworks may.

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
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from . import options as gate_options
from .gate import ENVIRON_KEY, ORIG_KEY, REDACTED, VERDICT_KEY, IdentityGate
from .schemes import environ_key

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from .options import GateOptions

__all__ = ["RemoteIdentityMiddleware"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

security_log = logging.getLogger("remote_identity.security")


class RemoteIdentityMiddleware:
    # The docstring is completed below with every option of remote_identity.options.
    """ASGI middleware that sets ``scope["remote_identity"]``; see the module docstring.

    Takes the keyword arguments of :class:`~remote_identity.gate.IdentityGate`, like
    :class:`remote_identity.wsgi.RemoteIdentityMiddleware`; its ``gate`` attribute is that
    gate.

    Args:
        app: the ASGI application to wrap.
    """

    __doc__ = f"{__doc__}{gate_options.args_doc(' ' * 8)}\n"

    def __init__(self, app: ASGIApp, **options: Unpack[GateOptions]) -> None:
        self.app = app
        self.gate = IdentityGate(**options)
        scheme = self.gate.scheme
        keys = dict(zip(scheme.headers, scheme.environ_keys, strict=True))
        secret = self.gate.shared_secret_header
        if secret is not None:
            keys[secret] = environ_key(secret)
        self._secret_key = None if secret is None else keys[secret]
        #: Environ key of each header the gate removed, by the name the scheme spells.
        self._keys = keys
        # Lower-cased header name as ASGI sends it -> its environ key.
        self._watched = {name.lower().encode("latin-1"): key for name, key in keys.items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        values, underscored = self._read(scope.get("headers", ()))
        if underscored:
            self.gate.events.record(
                security_log,
                "underscore_header",
                peer,
                "underscore header spellings removed from peer %s: %s",
                peer,
                ", ".join(underscored),
                extra={"headers": tuple(underscored)},
            )
        verdict = self.gate.decide(peer, values)
        removed = {self._keys[header] for header in verdict.stripped}
        if self._secret_key is not None:
            removed.add(self._secret_key)
        orig = dict(underscored)
        for key in removed:
            if key in values:
                orig[key] = REDACTED if key == self._secret_key else values[key]
        watched = self._watched
        scope = dict(scope)
        scope["headers"] = [
            (name, value)
            for name, value in scope.get("headers", ())
            if not (
                (b"_" in name and name.lower().replace(b"_", b"-") in watched)
                or watched.get(name.lower()) in removed
            )
        ]
        scope[ENVIRON_KEY] = verdict.identity
        scope[VERDICT_KEY] = verdict
        if orig:
            scope[ORIG_KEY] = orig
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

    def _read(self, headers: Any) -> tuple[dict[str, str], dict[str, str]]:
        """The watched headers' values by environ key, and the underscore spellings of
        watched headers by their name as received (the first value of each)."""
        values: dict[str, str] = {}
        underscored: dict[str, str] = {}
        watched = self._watched
        for name, value in headers:
            lowered = name.lower()
            key = watched.get(lowered)
            if key is not None:
                text = value.decode("latin-1")
                # Repeated headers are joined with "," as WSGI servers do, so the same
                # rules (a comma in a username) catch them.
                values[key] = f"{values[key]},{text}" if key in values else text
            elif b"_" in lowered and lowered.replace(b"_", b"-") in watched:
                underscored.setdefault(lowered.decode("latin-1"), value.decode("latin-1"))
        return values, underscored
