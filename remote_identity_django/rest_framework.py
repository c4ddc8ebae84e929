"""``RemoteIdentityAuthentication``: Django REST framework requests signed in by the proxy.

For an API under ``REMOTE_IDENTITY_EXCLUDED_PATHS`` (where the middleware logs nobody
in), or one that should not depend on Django's session at all: each request is
authenticated from the identity the core judged, and the user is created and synced by
:class:`~remote_identity_django.backends.RemoteIdentityBackend` like at a login.

The threat it keeps in mind: the proxy signs requests in from its own session cookie,
which a browser sends with cross-site requests too. Identity headers are therefore
ambient credentials, like Django's session, and unsafe methods (POST, PUT, PATCH,
DELETE) must pass Django's CSRF check, exactly as with DRF's ``SessionAuthentication``.
Clients that cannot send a CSRF token should use token authentication instead.

``request.auth`` is the ``Identity``. A request whose identity the gate rejected (an
invalid header from the proxy) fails with ``AuthenticationFailed`` naming the reason.

Usage (``settings.py``)::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "remote_identity_django.rest_framework.RemoteIdentityAuthentication",
            "rest_framework.authentication.TokenAuthentication",
        ],
    }
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import AuthenticationFailed

from remote_identity import ENVIRON_KEY, Identity

from .backends import RemoteIdentityBackend
from .conf import get_gate
from .middleware import adopt_asgi_verdict

if TYPE_CHECKING:
    from rest_framework.request import Request

__all__ = ["RemoteIdentityAuthentication"]


class RemoteIdentityAuthentication(SessionAuthentication):
    """Authenticates a DRF request from the proxy's identity; see the module docstring."""

    backend_class = RemoteIdentityBackend

    def authenticate(self, request: Request) -> tuple[Any, Identity] | None:
        django_request = request._request
        adopt_asgi_verdict(django_request)
        meta = django_request.META
        if ENVIRON_KEY in meta:  # judged by the core's WSGI or ASGI layer, or our middleware
            identity = meta[ENVIRON_KEY]
        else:
            verdict = get_gate().process(meta)
            if verdict.outcome == "rejected":
                raise AuthenticationFailed(verdict.refusal()[1].strip())
            identity = verdict.identity
        if not isinstance(identity, Identity):
            return None
        user = self.backend_class().authenticate(django_request, identity.username, identity)
        if user is None:
            raise AuthenticationFailed("The proxy's user may not sign in here.")
        self.enforce_csrf(request)
        return (user, identity)
