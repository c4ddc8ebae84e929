"""Django's own remote-user tests, fetched for the installed Django version.

``tests/auth_tests/test_remote_user.py`` is extracted from Django's source distribution
(downloaded with pip into ``.pytest_cache/django-suite/<version>``, never committed;
``REMOTE_IDENTITY_DJANGO_SUITE_CACHE`` names another directory) and
imported as ``auth_tests.test_remote_user``, next to a minimal ``auth_tests.urls`` with
the one view it uses. The backends below are the suite's test backends rebuilt on
``RemoteIdentityBackend``; ``test_django_remote_user_suite.py`` runs the suite's test
classes with them and the adapter's middleware.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

import django
from django.contrib.auth.backends import AllowAllUsersRemoteUserBackend

from remote_identity_django.backends import RemoteIdentityBackend

ROOT = Path(__file__).resolve().parents[2]
#: Where the extracted suite is kept; ``REMOTE_IDENTITY_DJANGO_SUITE_CACHE`` moves it.
CACHE_ROOT = Path(
    os.environ.get("REMOTE_IDENTITY_DJANGO_SUITE_CACHE") or ROOT / ".pytest_cache" / "django-suite"
)
CACHE = CACHE_ROOT / django.__version__
MEMBER = "tests/auth_tests/test_remote_user.py"

URLS = '''"""The one view of Django's auth_tests.urls that test_remote_user uses."""

from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path
from django.views.decorators.cache import never_cache


@never_cache
def remote_user_auth_view(request):
    return HttpResponse(Template("Username is {{ user }}.").render(RequestContext(request, {})))


urlpatterns = [path("remote_user/", remote_user_auth_view)]
'''


class SuiteUnavailable(RuntimeError):
    """Django's source distribution could not be downloaded or read."""


def _fetch() -> None:
    package = CACHE / "auth_tests"
    if (package / "test_remote_user.py").exists():
        return
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", ":all:"]
        command += ["--no-deps", f"django=={django.__version__}", "-d", tmp]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        archives = list(Path(tmp).glob("*.tar.gz"))
        if result.returncode or not archives:
            why = (result.stderr.strip().splitlines() or ["no archive"])[-1][-300:]
            raise SuiteUnavailable(f"pip download of Django's sdist failed ({why})")
        with tarfile.open(archives[0]) as archive:
            name = next((n for n in archive.getnames() if n.endswith(MEMBER)), None)
            source = archive.extractfile(name) if name else None
            if source is None:
                raise SuiteUnavailable(f"{MEMBER} is not in {archives[0].name}")
            text = source.read().decode("utf-8")
    package.mkdir(parents=True, exist_ok=True)
    (package / "urls.py").write_text(URLS, encoding="utf-8")
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "test_remote_user.py").write_text(text, encoding="utf-8")


def load() -> ModuleType:
    """``auth_tests.test_remote_user`` of the installed Django version."""
    _fetch()
    if str(CACHE) not in sys.path:
        sys.path.insert(0, str(CACHE))
    return importlib.import_module("auth_tests.test_remote_user")


class NoCreateBackend(RemoteIdentityBackend):
    """The suite's ``RemoteUserNoCreateBackend``."""

    create_unknown_user = False


class AllowAllBackend(RemoteIdentityBackend, AllowAllUsersRemoteUserBackend):
    """The suite's ``AllowAllUsersRemoteUserBackend``: inactive users sign in too."""


class CustomBackend(RemoteIdentityBackend):
    """The suite's ``CustomRemoteUserBackend``, reading the e-mail from the
    ``Remote-Email`` header as the suite does."""

    def clean_username(self, username: str) -> str:
        return username.split("@")[0]

    def configure_user(self, request: Any, user: Any, created: bool = True) -> Any:
        user.email = request.META.get("HTTP_REMOTE_EMAIL", "")
        if not created:
            user.last_name = user.username
        user.save()
        return user

    async def aconfigure_user(self, request: Any, user: Any, created: bool = True) -> Any:
        user.email = request.META.get("HTTP_REMOTE_EMAIL", "")
        if not created:
            user.last_name = user.username
        await user.asave()
        return user
