"""``RemoteIdentityAuthentication``: Django REST framework requests signed in by the proxy.

For an API under ``REMOTE_IDENTITY_EXCLUDED_PATHS`` (where the middleware logs nobody
in), or one that should not depend on Django's session at all: each request is
authenticated from the identity the core judged
(:func:`~remote_identity_django.verdict.request_verdict`, as the middleware does), and the
user is created and synced by the ``RemoteIdentityBackend`` of ``AUTHENTICATION_BACKENDS``
(:func:`~remote_identity_django.backends.remote_backend`, as the middleware does, so a
subclass renames groups for the API too). A user whose stored fingerprint matches costs
one query, as a session's user does.

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

from remote_identity import Identity

from .backends import remote_backend
from .verdict import request_verdict

if TYPE_CHECKING:
    from rest_framework.request import Request

__all__ = ["RemoteIdentityAuthentication"]


class RemoteIdentityAuthentication(SessionAuthentication):
    """Authenticates a DRF request from the proxy's identity; see the module docstring."""

    def authenticate(self, request: Request) -> tuple[Any, Identity] | None:
        django_request = request._request
        verdict = request_verdict(django_request)
        if verdict.outcome == "rejected":
            raise AuthenticationFailed(verdict.refusal()[1].strip())
        identity = verdict.identity
        backend = remote_backend()
        if identity is None or backend is None:
            return None
        username = backend.username_for(identity)
        if username is None:
            return None
        user = backend.authenticate(django_request, username, identity)
        if user is None:
            raise AuthenticationFailed("The proxy's user may not sign in here.")
        self.enforce_csrf(request)
        return (user, identity)
