"""Django settings of the in-process benchmarks (``django_worker.py``), one stack each.

``BENCH_STACK`` picks the remote-user middleware and backend; everything else is the
same for every stack: database sessions, CSRF and authentication middleware (Django's
defaults and the example site's), and a one-line view that reads ``request.user``.

``BENCH_DATABASE`` is the database: a SQLite file (its path), with ``CONN_MAX_AGE = 0``
(a connection per request, Django's default: opening a SQLite file costs little), or a
PostgreSQL URL (``postgresql://USER@HOST:PORT/NAME``) with persistent connections
(``CONN_MAX_AGE = None``): PostgreSQL forks a backend process for every new connection,
which would cost every stack the same few milliseconds per request and dilute the
ratios between them; sites on PostgreSQL keep their connections (or pool them) too.

Stacks:
    ``stock``  Django's ``RemoteUserMiddleware`` on ``HTTP_REMOTE_USER`` +
               ``RemoteUserBackend``: the comparison baseline.
    ``guide``  the same middleware + the backend of Authelia's Django guide
               (``authelia_guide.py``, our re-implementation, for comparison only).
    ``ours``   ``remote_identity_django``'s middleware + backend; the ``ours-wsgi``
               stack uses these settings too, with the core's WSGI middleware in front.
"""

from __future__ import annotations

import os

STACK = os.environ.get("BENCH_STACK", "ours")
_STACKS = {
    "stock": (
        "benchmarks.authelia_guide.HttpRemoteUserMiddleware",
        "django.contrib.auth.backends.RemoteUserBackend",
    ),
    "guide": (
        "benchmarks.authelia_guide.HttpRemoteUserMiddleware",
        "benchmarks.authelia_guide.RemoteExtendedUserBackend",
    ),
    "ours": (
        "remote_identity_django.middleware.RemoteIdentityMiddleware",
        "remote_identity_django.backends.RemoteIdentityBackend",
    ),
}
_MIDDLEWARE, _BACKEND = _STACKS["ours" if STACK == "ours-wsgi" else STACK]

SECRET_KEY = "benchmarks-only-not-a-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["app.example.com"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "remote_identity_django",
]
_DATABASE = os.environ.get("BENCH_DATABASE", ":memory:")
DATABASES: dict[str, dict[str, object]] = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _DATABASE}
}
if _DATABASE.startswith("postgresql://"):
    from psycopg.conninfo import conninfo_to_dict

    _DSN = conninfo_to_dict(_DATABASE)
    DATABASES["default"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _DSN["dbname"],
        "USER": _DSN.get("user", ""),
        "HOST": _DSN.get("host", ""),
        "PORT": _DSN.get("port", ""),
        "CONN_MAX_AGE": None,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
SESSION_ENGINE = "django.contrib.sessions.backends.db"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    _MIDDLEWARE,
]
AUTHENTICATION_BACKENDS = [_BACKEND]
ROOT_URLCONF = "benchmarks.django_urls"
TEMPLATES: list[dict[str, object]] = []

# The example site's choices: the proxy connects from 127.0.0.2; flags follow groups.
REMOTE_IDENTITY_TRUSTED_PROXIES = ["127.0.0.2"]
REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_staff": ["staff"], "is_superuser": ["admins"]}
REMOTE_IDENTITY_MIRROR_GROUPS = True
