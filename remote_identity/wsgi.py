"""``RemoteIdentityMiddleware``: believe identity headers only from a trusted proxy.

The threat: identity headers (``Remote-User``, ``Remote-Groups``, ...) are ordinary
request headers. Anyone who can reach the application without going through the
authenticating proxy can send them, and an application that believes them hands out any
account, including the administrator's, to a single ``curl``. Repeated headers joined by
the server (``Remote-Groups: admins`` added by a client to the proxy's value), underscore
spellings (``Remote_User``) and undecodable or look-alike values are the subtler forms.

This middleware decides trust from the TCP peer only (``REMOTE_ADDR``, or the original one
saved by Werkzeug's ``ProxyFix`` in ``werkzeug.proxy_fix.orig``), plus an optional shared
secret header. ``X-Forwarded-For`` never decides trust: the client writes it.

Environ keys read:

- ``REMOTE_ADDR``, ``werkzeug.proxy_fix.orig``, ``SERVER_SOFTWARE``;
- ``HTTP_*`` for every header of the scheme and the shared-secret header.

Environ keys written:

- ``remote_identity``: the ``Identity``, or ``None`` when nobody is signed in;
- ``remote_identity.verdict``: the ``Verdict`` (trusted, error, stripped headers);
- ``remote_identity.orig``: every key removed, with its value, saved before removal
  (the shared secret's value is replaced by ``"[redacted]"``);
- the scheme's ``HTTP_*`` keys are deleted for an untrusted peer, and for a trusted peer
  with an invalid identity when ``on_invalid="anonymous"``; the shared-secret key is
  always deleted.

Responses of its own (plain text, ``Cache-Control: no-store``):

- ``400 Bad Request`` for an invalid identity from a trusted peer (the default);
- ``403 Forbidden`` for identity headers from an untrusted peer with
  ``on_untrusted="reject"``.

The body names the reason code and the header, never a value.

Usage::

    from remote_identity.wsgi import RemoteIdentityMiddleware

    application = RemoteIdentityMiddleware(
        application,
        trusted_proxies=["127.0.0.1", "10.0.5.0/24"],  # the proxy's own addresses
        scheme="authelia",
    )
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from webob.exc import HTTPBadRequest, HTTPForbidden, WSGIHTTPException

from .gate import IdentityGate
from .parsing import DEFAULT_POLICY, ParsingPolicy
from .schemes import HeaderScheme
from .trust import TrustedProxies

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["RemoteIdentityMiddleware"]

security_log = logging.getLogger("remote_identity.security")

# Servers known to fold "Remote_User" onto HTTP_REMOTE_USER instead of dropping it.
_FOLDING_SERVERS = ("granian",)


class RemoteIdentityMiddleware:
    """WSGI middleware that sets ``environ["remote_identity"]``; see the module docstring.

    Args:
        app: the WSGI application to wrap.
        trusted_proxies: the proxies' addresses: IPs, CIDRs and ``"unix"`` (a list, or a
            ``TrustedProxies``). Default: none, which trusts nobody.
        scheme: a preset name (``"authelia"``, ``"authentik"``, ``"oauth2-proxy"``, ...)
            or a ``HeaderScheme``. Default ``"authelia"``.
        policy: a ``ParsingPolicy`` (lengths, username case, e-mail handling).
        on_untrusted: ``"strip"`` (default) serves an untrusted peer anonymously after
            removing its identity headers; ``"reject"`` answers 403.
        on_invalid: ``"reject"`` (default) answers 400 to an invalid identity from a
            trusted peer; ``"anonymous"`` serves it without identity.
        shared_secret_header: a header the proxy adds to every request as an extra
            proof; default off (see ``IdentityGate``).
        shared_secret: its value, at least 16 characters; set with
            ``shared_secret_header``.
    """

    def __init__(
        self,
        app: WSGIApplication,
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
        self._server_checked = False

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if not self._server_checked:
            self._check_server(environ.get("SERVER_SOFTWARE"))
        verdict = self.gate.process(environ)
        if verdict.outcome != "rejected":
            return self.app(environ, start_response)
        status, text = verdict.refusal()
        response: WSGIHTTPException = (HTTPBadRequest if status == 400 else HTTPForbidden)(
            body=text,
            content_type="text/plain",
            charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )
        return response(environ, start_response)

    def _check_server(self, software: object) -> None:
        self._server_checked = True
        name = software.lower() if isinstance(software, str) else ""
        for server in _FOLDING_SERVERS:
            if server in name:
                security_log.warning(
                    "%s maps a client's 'Remote_User' header onto HTTP_REMOTE_USER like "
                    "'Remote-User' (last one wins), so a client can override the proxy's "
                    "identity headers. Make the proxy drop header names containing '_' "
                    "(nginx does by default) or run under a server that drops them. It also "
                    "empties non-ASCII header values: a display name, or the whole groups "
                    "header when one group name is not ASCII.",
                    software,
                    extra={"reason": "underscore_header", "server": software},
                )
