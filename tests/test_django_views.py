"""``LogoutView``: POST only, Django logout, then the proxy's logout with ``rd``."""

from __future__ import annotations

import pytest
from django.urls import reverse

from remote_identity_django.views import LogoutView
from tests.djangoapp.support import authelia

pytestmark = pytest.mark.django_db

PERSISTENT = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "remote_identity_django.middleware.PersistentRemoteIdentityMiddleware",
]


def test_url_name() -> None:
    assert reverse("remote_identity:logout") == "/auth/logout/"


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post(client, method) -> None:
    response = getattr(client, method)("/auth/logout/")
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"


@pytest.mark.parametrize(
    ("logout_url", "redirect_url", "location"),
    [
        pytest.param(None, None, "/", id="nothing"),
        pytest.param(None, "/bye/", "/bye/", id="django-only"),
        pytest.param(
            "https://auth.example.com/logout",
            None,
            "https://auth.example.com/logout?rd=http%3A%2F%2Ftestserver%2F",
            id="proxy",
        ),
        pytest.param(
            "https://auth.example.com/logout?lang=fr&rd=old",
            "/bye/?x=1",
            "https://auth.example.com/logout?lang=fr&rd=http%3A%2F%2Ftestserver%2Fbye%2F%3Fx%3D1",
            id="proxy-keeps-query",
        ),
        pytest.param(
            "/proxy/logout",
            "https://www.example.com/",
            "/proxy/logout?rd=https%3A%2F%2Fwww.example.com%2F",
            id="absolute-back",
        ),
    ],
)
def test_redirect(settings, client, logout_url, redirect_url, location) -> None:
    settings.MIDDLEWARE = PERSISTENT
    settings.REMOTE_IDENTITY_LOGOUT_URL = logout_url
    settings.LOGOUT_REDIRECT_URL = redirect_url
    assert client.get("/whoami/", headers=authelia()).content == b"alice"
    response = client.post("/auth/logout/")
    assert response.status_code == 302
    assert response["Location"] == location
    assert "no-cache" in response["Cache-Control"]
    assert client.get("/whoami/").content == b"-"


def test_redirect_url_name(settings, client) -> None:
    settings.LOGOUT_REDIRECT_URL = "remote_identity:logout"
    assert client.post("/auth/logout/")["Location"] == "/auth/logout/"


def test_csrf_protected() -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    assert client.post("/auth/logout/").status_code == 403
    assert LogoutView.http_method_names == ("post", "options")
