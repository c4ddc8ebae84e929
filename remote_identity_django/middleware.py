"""Log in the user a trusted proxy names, and keep the session in step with the proxy.

The threat: Django's ``RemoteUserMiddleware`` believes whatever ``request.META`` key it
reads. Pointed at ``HTTP_REMOTE_USER`` (as the pasted recipes do), it signs in anyone
who sends ``Remote-User: admin`` to the application without going through the proxy.
These middlewares believe an identity only after the core's ``IdentityGate`` judged the
request (:func:`~remote_identity_django.verdict.request_verdict`): the TCP peer is a
trusted proxy (``REMOTE_IDENTITY_TRUSTED_PROXIES``), the optional shared secret matches,
and every header value parses; or, in signed mode (``REMOTE_IDENTITY_ASSERTION``), the
proxy's signed token verifies, the network checks hold when they are set, and its claims
pass the same rules.

What it does with the verdict (Django's semantics, kept), decided by one method,
:meth:`RemoteIdentityMiddleware.decide`, for both the sync and the async path:

- an identity whose user is not the session's: the session's user is logged out (when a
  ``RemoteUserBackend`` made that session) and the identity's user logged in through the
  ``RemoteIdentityBackend`` of ``AUTHENTICATION_BACKENDS`` (which creates and syncs it);
  login rotates the CSRF token, so ``CsrfViewMiddleware`` must come earlier;
- the session's own user: nothing, unless the fingerprint stored with the user in the
  database (loaded with the user, no extra query) differs from the identity's synced
  with the current configuration: then the user is re-synced on this request. A session
  of the same user made by another backend (a password login) is taken over by one
  login through the remote backend, unless ``REMOTE_IDENTITY_LOCAL_USERS = "refuse"``
  keeps the proxy out of that account (a session the proxy made for it then ends);
- no identity: ``RemoteIdentityMiddleware`` logs out a session a ``RemoteUserBackend``
  made; ``PersistentRemoteIdentityMiddleware`` keeps it;
- a rejected request: a plain-text ``400`` (invalid identity from a trusted proxy) or
  ``403`` (untrusted peer with ``REMOTE_IDENTITY_ON_UNTRUSTED = "reject"``) naming the
  reason code;
- a path under ``REMOTE_IDENTITY_EXCLUDED_PATHS``: the gate still runs (untrusted
  headers are removed, invalid ones rejected) but nobody is logged in or out.

After the view, the admin's login and logout pages learn about the proxy
(:mod:`~remote_identity_django.admin_pages`).

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

import enum
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, NamedTuple, cast

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

from remote_identity import Identity, Verdict

from . import admin_pages
from .backends import remote_backend
from .conf import conf, get_gate
from .users import NOT_LOADED, stored_fingerprint
from .verdict import request_verdict

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.http.response import HttpResponseBase

__all__ = [
    "Action",
    "Decision",
    "PersistentRemoteIdentityMiddleware",
    "RemoteIdentityMiddleware",
]

logger = logging.getLogger("remote_identity.django")


class Action(enum.Enum):
    """What the middleware does with a request (:meth:`RemoteIdentityMiddleware.decide`)."""

    #: Nothing: the session is right as it is.
    NONE = "none"
    #: The decision needs the session's user: load it and decide again.
    NEED_USER = "need-user"
    #: Answer the gate's refusal (400 or 403).
    REFUSE = "refuse"
    #: Log out the session's user, if a ``RemoteUserBackend`` made the session.
    LOGOUT = "logout"
    #: Log in the identity's user (after logging out a remote session of another user).
    LOGIN = "login"
    #: Sync the session's user with the changed identity or configuration.
    RESYNC = "resync"


class Decision(NamedTuple):
    """An :class:`Action` and, for ``LOGIN`` and ``RESYNC``, the identity and its username."""

    action: Action
    identity: Identity | None = None
    username: str | None = None


_NONE = Decision(Action.NONE)
_NEED_USER = Decision(Action.NEED_USER)


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
        refusal = self.process_request(request)
        response = (
            cast("HttpResponseBase", self.get_response(request)) if refusal is None else refusal
        )
        page = admin_pages.page_of(request)
        return response if page is None else admin_pages.respond(request, response, page)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if self.native_async:
            refusal = await self.aprocess_request(request)
        else:
            refusal = await sync_to_async(self.process_request, thread_sensitive=True)(request)
        get_response = cast(
            "Callable[[HttpRequest], Awaitable[HttpResponseBase]]", self.get_response
        )
        response = await get_response(request) if refusal is None else refusal
        page = admin_pages.page_of(request)
        if page is None:
            return response
        return await sync_to_async(admin_pages.respond)(request, response, page)

    # --- the decision -----------------------------------------------------------------

    def decide(self, request: HttpRequest, verdict: Verdict, user: Any = None) -> Decision:
        """What to do with ``request``, given the gate's verdict and the session's user.

        Called first without ``user``; answers ``NEED_USER`` when the session's user
        matters, and the caller loads it and asks again. Reads nothing from the database:
        the user comes loaded with its stored fingerprint.
        """
        if verdict.outcome == "rejected":
            return Decision(Action.REFUSE)
        if self.is_excluded(request):
            return _NONE
        identity = verdict.identity
        backend = remote_backend()
        username = None
        if identity is not None:
            username = backend.username_for(identity) if backend else identity.username
        if identity is None or username is None:
            if not self.force_logout_if_no_header:
                decision = _NONE
            elif user is None:
                return _NEED_USER  # asked again with the user: logged then, once
            else:
                decision = Decision(Action.LOGOUT) if user.is_authenticated else _NONE
            if identity is not None:
                logger.warning(
                    "no sign-in: the identity of %r has no e-mail address, and "
                    "REMOTE_IDENTITY_IDENTIFY_BY is 'email'",
                    identity.username,
                    extra={"reason": "no_email"},
                )
            return decision
        if user is None:
            return _NEED_USER
        login = Decision(Action.LOGIN, identity, username)
        if not user.is_authenticated:
            return login
        if user.get_username() != self.clean_username(username, request):
            return login
        if backend is None:
            return _NONE
        if backend.is_local_refused(user):  # out of the proxy's reach: end its session
            return Decision(Action.LOGOUT)
        if stored_fingerprint(user) is NOT_LOADED:  # another backend's session: take it over
            return login
        if backend.is_synced(user, identity):
            return _NONE
        return Decision(Action.RESYNC, identity, username)

    # --- the sync shell ---------------------------------------------------------------

    def process_request(self, request: HttpRequest) -> HttpResponse | None:  # type: ignore[override]
        if not hasattr(request, "user"):
            raise self._missing_auth_middleware()
        verdict = request_verdict(request)
        decision = self.decide(request, verdict)
        user: Any = None
        if decision.action is Action.NEED_USER:
            user = request.user
            decision = self.decide(request, verdict, user)
        action = decision.action
        if action is Action.REFUSE:
            return self.refuse(verdict)
        if action is Action.LOGOUT:
            self._remove_invalid_user(request)
        elif action is Action.LOGIN:
            if user.is_authenticated:
                self._remove_invalid_user(request)
            user = auth.authenticate(
                request, remote_user=decision.username, identity=decision.identity
            )
            if user:
                request.user = user
                auth.login(request, user)
        elif action is Action.RESYNC:
            self.resync(request, user, cast("Identity", decision.identity))
        return None

    # --- the async shell --------------------------------------------------------------

    async def aprocess_request(self, request: HttpRequest) -> HttpResponse | None:  # type: ignore[override]
        if not hasattr(request, "auser"):
            raise self._missing_auth_middleware()
        verdict = request_verdict(request)
        decision = self.decide(request, verdict)
        user: Any = None
        if decision.action is Action.NEED_USER:
            user = await request.auser()
            decision = self.decide(request, verdict, user)
        action = decision.action
        if action is Action.REFUSE:
            return self.refuse(verdict)
        if action is Action.LOGOUT:
            await self._aremove_invalid_user(request)
        elif action is Action.LOGIN:
            if user.is_authenticated:
                await self._aremove_invalid_user(request)
            user = await auth.aauthenticate(
                request, remote_user=decision.username, identity=decision.identity
            )
            if user:
                request.user = user
                await auth.alogin(request, user)
        elif action is Action.RESYNC:
            await sync_to_async(self.resync)(request, user, cast("Identity", decision.identity))
        return None

    # --- what the shells share --------------------------------------------------------

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

        A database error, or a user the sync made inactive, ends the session: it must
        not keep privileges the proxy revoked.
        """
        backend = remote_backend()
        if backend is None:  # pragma: no cover - decide() answers NONE without a backend
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
