"""Settings of the example site: a Django site behind an authenticating reverse proxy.

Environment variables (all optional; the defaults are the demo's, ``scripts/demo``):

``EXAMPLE_TRUSTED_PROXIES``  the proxy's addresses, comma-separated (default ``127.0.0.2``)
``EXAMPLE_LOGOUT_URL``       the proxy's logout URL (default ``http://127.0.0.1:9091/logout``)
``EXAMPLE_DATABASE``         ``postgresql://USER@HOST:PORT/NAME`` or ``sqlite:///PATH``
                             (default: SQLite at ``example/db.sqlite3``)
``EXAMPLE_SESSION_ENGINE``   Django's ``SESSION_ENGINE`` (default: database sessions)
``EXAMPLE_SECRET_KEY``       Django's ``SECRET_KEY`` (default: a fixed key, demo only)
``EXAMPLE_DEBUG``            ``1`` or ``0`` (default ``1``)
``EXAMPLE_ALLOWED_HOSTS``    comma-separated (default ``127.0.0.1,localhost,[::1]``)
``EXAMPLE_SHARED_SECRET_HEADER``, ``EXAMPLE_SHARED_SECRET``
                             a header the proxy adds with a secret value (default: off);
                             see the Caddy recipe in docs/recipes/
``EXAMPLE_ASSERTION``        JSON: ``REMOTE_IDENTITY_ASSERTION``, the proxy's signed
                             assertion to verify (default: off, header mode), e.g.
                             ``{"preset": "pomerium", "host": "127.0.0.1", "jwks_url":
                             "http://127.0.0.1:9091/.well-known/pomerium/jwks.json"}``;
                             see ``scripts/demo --signed`` and docs/recipes/nginx-signed.conf
``EXAMPLE_STACK``            ``stock``: Django's own remote-user stack instead of ours
                             (``stock.py``), the benchmarks' baseline; never for real use
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import django

from .envconfig import database_from_url, env_flag, env_list

BASE_DIR = Path(__file__).resolve().parent.parent  # example/

# A fixed key so that the demo works without set-up. For the demo only: anyone can read
# it here, so a site that uses it can have its sessions and CSRF tokens forged.
SECRET_KEY = os.environ.get(
    "EXAMPLE_SECRET_KEY", "demo-only-not-secret-3c1f0e9d8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e"
)
DEBUG = env_flag(os.environ.get("EXAMPLE_DEBUG"), default=True)
ALLOWED_HOSTS = env_list(
    os.environ.get("EXAMPLE_ALLOWED_HOSTS"), ["127.0.0.1", "localhost", "[::1]"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "remote_identity_django",
    "whoami",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before ours: signing in rotates the CSRF token.
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After AuthenticationMiddleware: it signs in (and keeps in sync) the proxy's user.
    "remote_identity_django.middleware.RemoteIdentityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Only the proxy's identity signs anybody in: no passwords on this site.
AUTHENTICATION_BACKENDS = ["remote_identity_django.backends.RemoteIdentityBackend"]
if os.environ.get("EXAMPLE_STACK") == "stock":  # the benchmarks' baseline, see stock.py
    MIDDLEWARE[MIDDLEWARE.index("remote_identity_django.middleware.RemoteIdentityMiddleware")] = (
        "exampleproject.stock.StockRemoteUserMiddleware"
    )
    AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.RemoteUserBackend"]

# --- remote-identity ---------------------------------------------------------------
# Who may speak for users: the sign-in front connects from 127.0.0.2 (scripts/demo).
REMOTE_IDENTITY_TRUSTED_PROXIES = env_list(os.environ.get("EXAMPLE_TRUSTED_PROXIES"), ["127.0.0.2"])
REMOTE_IDENTITY_SCHEME = "authelia"  # Remote-User, Remote-Name, Remote-Email, Remote-Groups
# Flags follow groups, both ways: leaving "staff" in the proxy revokes is_staff.
REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_staff": ["staff"], "is_superuser": ["admins"]}
REMOTE_IDENTITY_MIRROR_GROUPS = True  # Django groups follow the proxy's groups
REMOTE_IDENTITY_CREATE_GROUPS = True  # so that the demo's groups appear in the admin
# Logging out of the site ends the proxy's session too (it comes back with ?rd=...).
REMOTE_IDENTITY_LOGOUT_URL = os.environ.get("EXAMPLE_LOGOUT_URL", "http://127.0.0.1:9091/logout")
# When the proxy cannot connect from an address of its own (Caddy 2.6 has no source
# address option), a secret header it adds proves the request passed through it.
REMOTE_IDENTITY_SHARED_SECRET_HEADER = os.environ.get("EXAMPLE_SHARED_SECRET_HEADER") or None
REMOTE_IDENTITY_SHARED_SECRET = os.environ.get("EXAMPLE_SHARED_SECRET") or None
# Signed mode: the identity comes only from the proxy's verified token (docs/assertions.md).
# The trusted proxies then become optional: when set, both must hold.
REMOTE_IDENTITY_ASSERTION = json.loads(os.environ.get("EXAMPLE_ASSERTION") or "null")
# ------------------------------------------------------------------------------------

ROOT_URLCONF = "exampleproject.urls"
WSGI_APPLICATION = "exampleproject.wsgi.application"
ASGI_APPLICATION = "exampleproject.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(os.environ.get("EXAMPLE_DATABASE"), BASE_DIR / "db.sqlite3")
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3") and django.VERSION >= (5, 1):
    # Take the write lock when a transaction starts, so that concurrent first requests
    # wait for each other instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_ENGINE = os.environ.get("EXAMPLE_SESSION_ENGINE", "django.contrib.sessions.backends.db")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"  # served by Django itself while DEBUG is on (see urls.py)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        # Refused identities (spoofed headers, invalid values) are logged here.
        "remote_identity": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Server errors with their traceback, whatever DEBUG says.
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
    },
}
