"""The Django REST framework authentication class."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from remote_identity import Identity
from remote_identity_django.backends import RemoteIdentityBackend
from remote_identity_django.rest_framework import RemoteIdentityAuthentication

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.1"  # trusted in tests/django_settings.py
ATTACKER = "127.0.0.3"
BOB = {"HTTP_REMOTE_USER": "bob", "HTTP_REMOTE_GROUPS": "editors", "HTTP_REMOTE_EMAIL": ""}


class WhoAmI(APIView):
    authentication_classes = (RemoteIdentityAuthentication,)
    permission_classes = (IsAuthenticated,)

    def get(self, request: Any) -> Response:
        return Response({"username": request.user.username, "auth": request.auth.username})

    def post(self, request: Any) -> Response:
        return Response({"posted_by": request.user.username})


view = WhoAmI.as_view()


def test_identity_from_a_trusted_proxy_authenticates_and_creates_the_user() -> None:
    response = view(RequestFactory().get("/api/", REMOTE_ADDR=PROXY, **BOB))
    assert response.status_code == 200
    assert response.data == {"username": "bob", "auth": "bob"}
    assert User.objects.get(username="bob").has_usable_password() is False


def test_identity_judged_by_the_wsgi_layer_is_used() -> None:
    request = RequestFactory().get("/api/", REMOTE_ADDR=ATTACKER)
    request.META["remote_identity"] = Identity("carol")
    assert view(request).data["username"] == "carol"


@pytest.mark.parametrize(
    ("peer", "headers"),
    [
        pytest.param(ATTACKER, BOB, id="spoofed-from-untrusted-peer"),
        pytest.param(PROXY, {}, id="no-identity"),
    ],
)
def test_no_identity_is_not_authenticated(peer: str, headers: dict[str, str]) -> None:
    response = view(RequestFactory().get("/api/", REMOTE_ADDR=peer, **headers))
    assert response.status_code == 403
    assert not User.objects.filter(username="bob").exists()


def test_rejected_identity_fails_with_its_reason() -> None:
    request = RequestFactory().get("/api/", REMOTE_ADDR=PROXY, HTTP_REMOTE_USER="bob,admin")
    response = view(request)
    assert response.status_code == 403
    assert "multiple_values" in str(response.data["detail"])


def test_inactive_user_is_refused() -> None:
    User.objects.create(username="bob", is_active=False)
    response = view(RequestFactory().get("/api/", REMOTE_ADDR=PROXY, **BOB))
    assert response.status_code == 403
    assert "may not sign in" in str(response.data["detail"])


def test_unsafe_methods_need_the_csrf_token() -> None:
    factory = RequestFactory(enforce_csrf_checks=True)
    forged = view(factory.post("/api/", REMOTE_ADDR=PROXY, **BOB))
    assert forged.status_code == 403
    assert "CSRF" in str(forged.data["detail"])

    page = factory.get("/", REMOTE_ADDR=PROXY)
    token = get_token(page)
    request = factory.post("/api/", REMOTE_ADDR=PROXY, HTTP_X_CSRFTOKEN=token, **BOB)
    request.COOKIES["csrftoken"] = page.META["CSRF_COOKIE"]
    response = view(request)
    assert response.status_code == 200
    assert response.data == {"posted_by": "bob"}


class RenamingBackend(RemoteIdentityBackend):
    """A site's backend that renames the proxy's groups."""

    def clean_groupname(self, name: str) -> str | None:
        return f"team-{name}"


def test_browser_and_api_give_a_renaming_backend_the_same_groups(settings) -> None:
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        f"{__name__}.RenamingBackend",
    ]
    settings.REMOTE_IDENTITY_CREATE_GROUPS = True
    browser = Client().get("/whoami/", headers={"Remote-User": "bob", "Remote-Groups": "ops"})
    assert browser.content == b"bob"
    by_browser = sorted(User.objects.get(username="bob").groups.values_list("name", flat=True))
    User.objects.all().delete()
    api = view(
        RequestFactory().get(
            "/api/", REMOTE_ADDR=PROXY, HTTP_REMOTE_USER="bob", HTTP_REMOTE_GROUPS="ops"
        )
    )
    assert api.data["username"] == "bob"
    by_api = sorted(User.objects.get(username="bob").groups.values_list("name", flat=True))
    assert by_browser == by_api == ["team-ops"]


def test_a_synced_user_costs_one_query(django_assert_num_queries) -> None:
    assert view(RequestFactory().get("/api/", REMOTE_ADDR=PROXY, **BOB)).status_code == 200
    with django_assert_num_queries(1):  # the user, with its stored fingerprint
        assert view(RequestFactory().get("/api/", REMOTE_ADDR=PROXY, **BOB)).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "headers"),
    [
        pytest.param({"REMOTE_IDENTITY_ENABLED": False}, BOB, id="disabled"),
        pytest.param(
            {"AUTHENTICATION_BACKENDS": ["django.contrib.auth.backends.ModelBackend"]},
            BOB,
            id="no-remote-backend",
        ),
        pytest.param({"REMOTE_IDENTITY_IDENTIFY_BY": "email"}, BOB, id="by-email-without-address"),
    ],
)
def test_nobody_is_authenticated(settings, overrides, headers) -> None:
    for name, value in overrides.items():
        setattr(settings, name, value)
    response = view(RequestFactory().get("/api/", REMOTE_ADDR=PROXY, **headers))
    assert response.status_code == 403
    assert not User.objects.exists()
