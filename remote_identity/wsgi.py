"""``RemoteIdentityMiddleware``: believe identity headers only from a trusted proxy.

The threat: identity headers (``Remote-User``, ``Remote-Groups``, ...) are ordinary
request headers. Anyone who can reach the application without going through the
authenticating proxy can send them, and an application that believes them hands out any
account, including the administrator's, to a single ``curl``. Repeated headers joined by
the server (``Remote-Groups: admins`` added by a client to the proxy's value), underscore
spellings (``Remote_User``) and undecodable or look-alike values are the subtler forms.

This middleware decides trust from the TCP peer only (``REMOTE_ADDR``, or the original one
saved by Werkzeug's ``ProxyFix`` in ``werkzeug.proxy_fix.orig``), plus an optional shared
secret header. ``X-Forwarded-For`` never decides trust: the client writes it. When the
saved original also appears in ``X-Forwarded-For`` (two ``ProxyFix`` layers in front: the
saved address is the first one's rewrite), the peer cannot be known and nobody is trusted;
wrap ``ProxyFix`` inside this middleware, not outside (:mod:`remote_identity.peer`).

Under granian, which folds ``Remote_User`` onto ``HTTP_REMOTE_USER``, a warning is logged
once (the gate reads ``SERVER_SOFTWARE``).

Where the proxy's address proves nothing (a cloud proxy whose addresses every customer
shares: Cloudflare Access, Google IAP, AWS ALB), configure the proxy's signed assertion
(``assertion=``, ``remote_identity.assertions``): the identity then comes only from the
verified claims of its token, every header of the scheme (and the proxy's unsigned
headers) is removed from every request, and ``trusted_proxies`` becomes optional: when
set, the peer must be trusted *and* the token valid.

Environ keys read:

- ``REMOTE_ADDR``, ``werkzeug.proxy_fix.orig``, ``HTTP_X_FORWARDED_FOR`` (only to detect
  an address ``ProxyFix`` may have taken from it), ``SERVER_SOFTWARE``;
- ``HTTP_*`` for every header of the scheme and the shared-secret header; in signed
  mode also the assertion's header and the signing proxy's unsigned headers.

Environ keys written:

- ``remote_identity``: the ``Identity``, or ``None`` when nobody is signed in;
- ``remote_identity.verdict``: the ``Verdict`` (trusted, error, stripped headers);
- ``remote_identity.orig``: every key removed, with its value, saved before removal
  (the values of the shared secret and of a signed assertion are replaced by
  ``"[redacted]"``);
- the scheme's ``HTTP_*`` keys are deleted for an untrusted peer, and for a trusted peer
  with an invalid identity when ``on_invalid="anonymous"``; the shared-secret key is
  always deleted. In signed mode the scheme's keys are deleted from every request, and
  the assertion's key when its token is refused (a verified one stays).

Responses of its own (plain text, ``Cache-Control: no-store``):

- ``400 Bad Request`` for an invalid identity from a trusted peer, or a signed assertion
  that fails verification (the default, ``on_invalid="reject"``);
- ``403 Forbidden`` for identity headers from an untrusted peer with
  ``on_untrusted="reject"``.

The body names the reason code and the header, never a value.

Usage::

    from remote_identity.wsgi import RemoteIdentityMiddleware

    application = RemoteIdentityMiddleware(
        application,
        trusted_proxies=["127.0.0.2"],  # the proxy's own address (127.0.0.1: any local process)
        scheme="authelia",
    )

    # Signed mode: the proxy's token decides (the address, when listed, must hold too).
    application = RemoteIdentityMiddleware(
        application,
        assertion={"preset": "pomerium", "host": "wiki.example.com"},
    )
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from webob.exc import HTTPBadRequest, HTTPForbidden, WSGIHTTPException

from . import options as gate_options
from .gate import IdentityGate

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from typing_extensions import Unpack

    from .options import GateOptions

__all__ = ["RemoteIdentityMiddleware"]


class RemoteIdentityMiddleware:
    # The docstring is completed below with every option of remote_identity.options.
    """WSGI middleware that sets ``environ["remote_identity"]``; see the module docstring.

    Takes the keyword arguments of :class:`~remote_identity.gate.IdentityGate`; its
    ``gate`` attribute is that gate (``middleware.gate.refusals`` counts the refusals).

    Args:
        app: the WSGI application to wrap.
    """

    __doc__ = f"{__doc__}{gate_options.args_doc(' ' * 8)}\n"

    def __init__(self, app: WSGIApplication, **options: Unpack[GateOptions]) -> None:
        self.app = app
        self.gate = IdentityGate(**options)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
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
