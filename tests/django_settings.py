"""Django settings for the adapter's tests (``DJANGO_SETTINGS_MODULE``).

SQLite in memory, plus a ``postgres`` alias when ``REMOTE_IDENTITY_TEST_POSTGRES`` is
set. The identity comes from Authelia's headers, trusted from the test client's address
(127.0.0.1). Tests change one setting at a time with
``override_settings`` / pytest-django's ``settings`` fixture.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

SECRET_KEY = "tests-only-not-a-secret"
DEBUG = False
USE_TZ = True
ALLOWED_HOSTS = ["testserver", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "remote_identity_django",
]

DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

# A PostgreSQL server for the tests that need real concurrency (test_django_postgres.py),
# e.g. REMOTE_IDENTITY_TEST_POSTGRES=postgresql://remote_identity@127.0.0.1:54329/remote_identity
_POSTGRES = os.environ.get("REMOTE_IDENTITY_TEST_POSTGRES")
if _POSTGRES:
    _url = urlsplit(_POSTGRES)
    DATABASES["postgres"] = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": _url.path.lstrip("/"),
        "USER": _url.username or "",
        "PASSWORD": _url.password or "",
        "HOST": _url.hostname or "",
        "PORT": str(_url.port or ""),
        "TEST": {"DEPENDENCIES": []},
    }
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "remote_identity_django.middleware.RemoteIdentityMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "remote_identity_django.backends.RemoteIdentityBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "tests.djangoapp.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

REMOTE_IDENTITY_TRUSTED_PROXIES = ["127.0.0.1"]
