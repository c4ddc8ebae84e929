"""Log in the user a trusted proxy names, and keep the session in step with the proxy.

The threat: Django's ``RemoteUserMiddleware`` believes whatever ``request.META`` key it
reads. Pointed at ``HTTP_REMOTE_USER`` (as the pasted recipes do), it signs in anyone
who sends ``Remote-User: admin`` to the application without going through the proxy.
These middlewares believe an identity only after the core's ``IdentityGate`` judged the
request: the TCP peer is a trusted proxy (``REMOTE_IDENTITY_TRUSTED_PROXIES``), the
optional shared secret matches, and every header value parses.

Where the identity comes from:
    ``request.META["remote_identity"]`` when ``remote_identity.wsgi`` already judged the
    request (under WSGI ``request.META`` is the environ); otherwise (ASGI, or only this
    middleware installed) the gate built from the ``REMOTE_IDENTITY_*`` settings
    processes ``request.META``: it removes an untrusted peer's identity headers (saving
    them under ``remote_identity.orig``) and sets ``remote_identity`` and
    ``remote_identity.verdict``.

What it does with it (Django's semantics, kept):
    - an identity whose user is not the session's: the session's user is logged out
      (when a ``RemoteUserBackend`` made that session) and the identity's user logged in
      through ``RemoteIdentityBackend`` (which creates and syncs it); login rotates the
      CSRF token, so ``CsrfViewMiddleware`` must come earlier in ``MIDDLEWARE``;
    - no identity: ``RemoteIdentityMiddleware`` logs out a session a
      ``RemoteUserBackend`` made; ``PersistentRemoteIdentityMiddleware`` keeps it;
    - the session's own user: nothing, unless the identity's fingerprint differs from
      the one stored in the session (``_remote_identity_fingerprint``): then the user is
      re-synced on this request. The steady state costs no query beyond Django's own.
    - a rejected request: a plain-text ``400`` (invalid identity from a trusted proxy)
      or ``403`` (untrusted peer with ``REMOTE_IDENTITY_ON_UNTRUSTED = "reject"``) naming
      the reason code.
    - a path under ``REMOTE_IDENTITY_EXCLUDED_PATHS``: the gate still runs (untrusted
      headers are removed, invalid ones rejected) but nobody is logged in or out.

Usage (``settings.py``)::

    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "remote_identity_django.middleware.RemoteIdentityMiddleware",
        ...
    ]
    AUTHENTICATION_BACKENDS = ["remote_identity_django.backends.RemoteIdentityBackend"]
    REMOTE_IDENTITY_TRUSTED_PROXIES = ["10.0.5.2"]  # the proxy's own address
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.contrib import auth
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import (
    PersistentRemoteUserMiddleware,
    RemoteUserMiddleware,
)
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.http import HttpResponse

from remote_identity import ENVIRON_KEY, Identity, Verdict
from remote_identity.gate import VERDICT_KEY

from .backends import RemoteIdentityBackend
from .conf import conf, get_gate

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

__all__ = [
    "FINGERPRINT_SESSION_KEY",
    "PersistentRemoteIdentityMiddleware",
    "RemoteIdentityMiddleware",
    "adopt_asgi_verdict",
]

#: The session key holding the fingerprint of the identity last synced into the user.
FINGERPRINT_SESSION_KEY = "_remote_identity_fingerprint"

logger = logging.getLogger("remote_identity.django")


class RemoteIdentityMiddleware(RemoteUserMiddleware):
    """Logs in the proxy's user and logs it out when the identity disappears.

    See the module docstring. ``header`` is not used: the header names come from
    ``REMOTE_IDENTITY_SCHEME``.
    """

    sync_capable = True
    async_capable = True
    force_logout_if_no_header = True
    #: Django 5.2+ has every async API the native async path needs; before, the sync
    #: path runs in a thread, as Django's own middleware did.
    native_async = hasattr(RemoteUserMiddleware, "aprocess_request")

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        if get_response is None:
            raise ValueError("get_response must be provided.")
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)
        get_gate()  # a setting the gate refuses stops the site now, not at a request

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        response = self.process_request(request)
        return response if response is not None else self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if self.native_async:
            response = await self.aprocess_request(request)
        else:
            response = await sync_to_async(self.process_request, thread_sensitive=True)(request)
        if response is not None:
            return response
        get_response = cast(
            "Callable[[HttpRequest], Awaitable[HttpResponseBase]]", self.get_response
        )
        return await get_response(request)

    def get_identity(self, request: HttpRequest) -> Identity | HttpResponse | None:
        """The request's ``Identity``, ``None``, or the response refusing the request."""
        adopt_asgi_verdict(request)
        meta = request.META
        if ENVIRON_KEY in meta:  # judged by remote_identity.wsgi or remote_identity.asgi
            identity = meta[ENVIRON_KEY]
            return identity if isinstance(identity, Identity) else None
        verdict = get_gate().process(meta)
        if verdict.outcome == "rejected":
            return self.refuse(verdict)
        return verdict.identity

    def refuse(self, verdict: Verdict) -> HttpResponse:
        """The 400 (invalid identity) or 403 (untrusted peer) for a rejected verdict."""
        status, text = verdict.refusal()
        response = HttpResponse(text, content_type="text/plain; charset=utf-8", status=status)
        response["Cache-Control"] = "no-store"
        return response

    def is_excluded(self, request: HttpRequest) -> bool:
        """Whether ``request.path_info`` is under ``REMOTE_IDENTITY_EXCLUDED_PATHS``."""
        return request.path_info.startswith(tuple(conf.EXCLUDED_PATHS))

    def _missing_auth_middleware(self) -> ImproperlyConfigured:
        return ImproperlyConfigured(
            "The Django remote user auth middleware requires the authentication "
            "middleware to be installed. Edit your MIDDLEWARE setting to insert "
            "'django.contrib.auth.middleware.AuthenticationMiddleware' before the "
            f"{self.__class__.__name__} class."
        )

    def process_request(self, request: HttpRequest) -> HttpResponse | None:  # type: ignore[override]
        if not hasattr(request, "user"):
            raise self._missing_auth_middleware()
        identity = self.get_identity(request)
        if isinstance(identity, HttpResponse):
            return identity
        if self.is_excluded(request):
            return None
        if identity is None:
            if self.force_logout_if_no_header and request.user.is_authenticated:
                self._remove_invalid_user(request)
            return None
        user: Any = request.user
        if user.is_authenticated:
            if user.get_username() == self.clean_username(identity.username, request):
                if request.session.get(FINGERPRINT_SESSION_KEY) != identity.fingerprint:
                    self.resync(request, user, identity)
                return None
            self._remove_invalid_user(request)
        user = auth.authenticate(request, remote_user=identity.username, identity=identity)
        if user:
            request.user = user
            auth.login(request, user)
            request.session[FINGERPRINT_SESSION_KEY] = identity.fingerprint
        return None

    async def aprocess_request(self, request: HttpRequest) -> HttpResponse | None:  # type: ignore[override]
        if not hasattr(request, "auser"):
            raise self._missing_auth_middleware()
        identity = self.get_identity(request)
        if isinstance(identity, HttpResponse):
            return identity
        if self.is_excluded(request):
            return None
        if identity is None:
            if self.force_logout_if_no_header and (await request.auser()).is_authenticated:
                await self._aremove_invalid_user(request)
            return None
        user: Any = await request.auser()
        if user.is_authenticated:
            if user.get_username() == await self._aclean_username(identity.username, request):
                fingerprint = await request.session.aget(FINGERPRINT_SESSION_KEY)
                if fingerprint != identity.fingerprint:
                    await sync_to_async(self.resync)(request, user, identity)
                return None
            await self._aremove_invalid_user(request)
        user = await auth.aauthenticate(request, remote_user=identity.username, identity=identity)
        if user:
            request.user = user
            await auth.alogin(request, user)
            await request.session.aset(FINGERPRINT_SESSION_KEY, identity.fingerprint)
        return None

    async def _aclean_username(self, username: str, request: HttpRequest) -> str:
        backend = auth.load_backend(str(await request.session.aget(auth.BACKEND_SESSION_KEY)))
        clean = getattr(backend, "clean_username", None)
        return clean(username) if clean is not None else username

    def _remove_invalid_user(self, request: HttpRequest) -> None:
        """Log out the session's user if a ``RemoteUserBackend`` (or none that loads)
        made the session, as Django does; a session from another backend is kept."""
        if _made_by_remote_backend(request.session.get(auth.BACKEND_SESSION_KEY, "")):
            auth.logout(request)

    async def _aremove_invalid_user(self, request: HttpRequest) -> None:
        """See :meth:`_remove_invalid_user`."""
        if _made_by_remote_backend(await request.session.aget(auth.BACKEND_SESSION_KEY, "")):
            await auth.alogout(request)

    def resync(self, request: HttpRequest, user: Any, identity: Identity) -> None:
        """Sync the session's user with a changed identity; log out if that fails.

        Uses the first ``RemoteIdentityBackend`` in ``AUTHENTICATION_BACKENDS``. A
        database error, or a user the sync made inactive, ends the session: it must not
        keep privileges the proxy revoked.
        """
        backend = next(
            (b for b in auth.get_backends() if isinstance(b, RemoteIdentityBackend)), None
        )
        if backend is None:
            return
        try:
            backend.sync(user, identity, request=request)
        except DatabaseError:
            logger.exception(
                "%r logged out: the sync with the proxy's changed identity failed",
                identity.username,
                extra={"reason": "sync_failed"},
            )
            auth.logout(request)
            return
        if not backend.user_can_authenticate(user):
            auth.logout(request)
            return
        request.session[FINGERPRINT_SESSION_KEY] = identity.fingerprint


def adopt_asgi_verdict(request: HttpRequest) -> None:
    """Copy ``remote_identity.asgi``'s verdict from the ASGI scope into ``request.META``.

    Under ASGI, Django builds ``META`` from the headers only; the core's ASGI middleware
    leaves its decision in the scope. Taking it from there means the headers are judged
    once, and the verdict (why a request is anonymous) stays visible to the site.
    """
    scope = getattr(request, "scope", None)
    if isinstance(scope, dict) and ENVIRON_KEY in scope and ENVIRON_KEY not in request.META:
        request.META[ENVIRON_KEY] = scope[ENVIRON_KEY]
        request.META[VERDICT_KEY] = scope.get(VERDICT_KEY)


def _made_by_remote_backend(path: str) -> bool:
    try:
        return isinstance(auth.load_backend(path), RemoteUserBackend)
    except ImportError:
        return True


class PersistentRemoteIdentityMiddleware(RemoteIdentityMiddleware, PersistentRemoteUserMiddleware):
    """Like ``RemoteIdentityMiddleware``, but a request without identity keeps the session.

    For sites where the proxy authenticates only a login URL and Django's session carries
    the user afterwards.
    """

    force_logout_if_no_header = False
