"""Django's ``tests/auth_tests/test_remote_user.py``, run against the adapter's classes.

The suite's test classes take the middleware and the backend as dotted paths; here they
point at ``RemoteIdentityMiddleware`` / ``PersistentRemoteIdentityMiddleware`` and at
``RemoteIdentityBackend`` (or the suite's test backends rebuilt on it, see
``tests/djangoapp/django_suite.py``), with the test client's address trusted.

The identity travels as a real ``Remote-User`` header (``HTTP_REMOTE_USER``), so each
test's ``client.get(**{header: value})`` is sent as ``headers={header: value}``, the way
the suite's own ``CustomHeaderMixin`` does it.

Not run, because they test something other than these classes:

- ``CustomHeader*`` tests: a ``RemoteUserMiddleware`` subclass with its own ``header``
  attribute; our header names come from ``REMOTE_IDENTITY_SCHEME``, and every class
  below already reads a real HTTP header under both WSGI and ASGI.
- ``RemoteUserImproperlyConfigured`` (and ``test_passing_explicit_none``, which does
  run but instantiates Django's class): they hard-code Django's classes; the same
  behaviour of ours is in ``test_django_middleware.py`` / ``test_django_async.py``.
- Django 4.2's ``RemoteUserCustomNoCreatedArgument*``: a deprecation shim for
  ``configure_user()`` without ``created``; ours always passes it.
- Django 5.2's ``CustomProcessRequestMiddlewareTest``: a deprecation warning for
  subclasses of Django's middleware that override only ``process_request``.
"""

from __future__ import annotations

from typing import Any

from django.test import override_settings

from tests.availability import unavailable
from tests.djangoapp.django_suite import SuiteUnavailable, load

try:
    suite = load()
except SuiteUnavailable as exc:  # no package index and no cached copy
    unavailable(
        f"Django's own remote-user tests were not run: {exc}",
        "they are downloaded from the package index at test time (pip download django==VERSION); "
        "run again where pip can reach it",
        allow_module_level=True,
    )

OURS = "remote_identity_django.middleware.RemoteIdentityMiddleware"
PERSISTENT = "remote_identity_django.middleware.PersistentRemoteIdentityMiddleware"
BACKEND = "remote_identity_django.backends.RemoteIdentityBackend"
SUITE = "tests.djangoapp.django_suite."


class Ours:
    """Our classes, the trusted client address, identity sent as real headers."""

    middleware: Any = OURS
    backend = BACKEND
    header = "Remote-User"
    email_header = "Remote-Email"

    @classmethod
    def setUpClass(cls) -> None:
        base = override_settings(
            MIDDLEWARE=[
                "django.contrib.sessions.middleware.SessionMiddleware",
                "django.middleware.csrf.CsrfViewMiddleware",
                "django.contrib.auth.middleware.AuthenticationMiddleware",
            ],
            AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.ModelBackend"],
            REMOTE_IDENTITY_TRUSTED_PROXIES=["127.0.0.1"],
        )
        base.enable()
        cls.addClassCleanup(base.disable)  # type: ignore[attr-defined]
        super().setUpClass()  # type: ignore[misc]

    def setUp(self) -> None:
        super().setUp()  # type: ignore[misc]
        for client in (self.client, self.async_client):  # type: ignore[attr-defined]
            client.get = _via_headers(client.get)


def _via_headers(get: Any) -> Any:
    def via_headers(path: str, *args: Any, headers: Any = None, **extra: Any) -> Any:
        return get(path, *args, headers={**(headers or {}), **extra})

    return via_headers


class TestRemoteUser(Ours, suite.RemoteUserTest):
    pass


class TestRemoteUserNoCreate(Ours, suite.RemoteUserNoCreateTest):
    backend = SUITE + "NoCreateBackend"


class TestAllowAllUsers(Ours, suite.AllowAllUsersRemoteUserBackendTest):
    backend = SUITE + "AllowAllBackend"


class TestRemoteUserCustom(Ours, suite.RemoteUserCustomTest):
    backend = SUITE + "CustomBackend"


class TestPersistentRemoteUser(Ours, suite.PersistentRemoteUserTest):
    middleware = PERSISTENT


if hasattr(suite, "ASGISyncPathRemoteUserTest"):  # Django 6.1+

    class TestASGISyncPath(Ours, suite.ASGISyncPathRemoteUserTest):
        middleware = (OURS, "auth_tests.test_remote_user.sync_middleware")
