"""WSGI applications for the ``WSGI_APPLICATION`` check: ProxyFix layers around the gate."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.wsgi import get_wsgi_application
from werkzeug.middleware.proxy_fix import ProxyFix

from remote_identity.wsgi import RemoteIdentityMiddleware
from remote_identity_django.conf import gate_options

django_application = get_wsgi_application()

#: The order the docs recommend: the gate outside, ProxyFix inside.
gate_outside = RemoteIdentityMiddleware(ProxyFix(django_application), **gate_options())
#: One ProxyFix around the Django middleware (the gate): the original peer is saved once.
one_around_django = ProxyFix(django_application, x_for=1)
#: One ProxyFix around the core middleware.
one_around_the_gate = ProxyFix(RemoteIdentityMiddleware(django_application, **gate_options()))
#: Two layers: the inner one saves the outer one's rewrite as the original peer.
two_around_django = ProxyFix(ProxyFix(django_application))
three_around_the_gate = ProxyFix(
    ProxyFix(ProxyFix(RemoteIdentityMiddleware(ProxyFix(django_application), **gate_options())))
)


def plain(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """No middleware at all."""
    start_response("200 OK", [])
    return []
