"""The middleware's async path, through Django's ``AsyncClient`` (ASGI handler).

Every middleware in the test settings is async-capable, so the chain runs natively
async; ``native_async = False`` runs the Django < 5.2 path (sync code in a thread).
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import User
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.test import AsyncClient, RequestFactory

from remote_identity.asgi import RemoteIdentityMiddleware as AsgiRemoteIdentityMiddleware
from remote_identity_django.backends import RemoteIdentityBackend
from remote_identity_django.middleware import RemoteIdentityMiddleware
from tests.djangoapp.support import aget, authelia

pytestmark = pytest.mark.django_db

OURS = "remote_identity_django.middleware.RemoteIdentityMiddleware"
PERSISTENT = "remote_identity_django.middleware.PersistentRemoteIdentityMiddleware"
BASE_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


NATIVE = RemoteIdentityMiddleware.native_async


@pytest.fixture(
    params=[
        pytest.param(
            True, id="native", marks=pytest.mark.skipif(not NATIVE, reason="Django < 5.2")
        ),
        pytest.param(False, id="thread"),
    ]
)
def native(request, monkeypatch) -> bool:
    monkeypatch.setattr(RemoteIdentityMiddleware, "native_async", request.param)
    return bool(request.param)


def get(client: AsyncClient, path: str = "/whoami/", **kwargs: Any) -> Any:
    return aget(client, path, **kwargs)


def whoami(client: AsyncClient, headers: dict[str, str] | None = None) -> str:
    response = get(client, headers=headers or {})
    assert response.status_code == 200
    return response.content.decode()


def test_login_steady_state_and_resync(async_client, native) -> None:
    assert whoami(async_client, authelia(email="old@example.com")) == "alice"
    assert whoami(async_client, authelia(email="old@example.com")) == "alice"
    assert User.objects.get().email == "old@example.com"
    assert whoami(async_client, authelia(email="new@example.com")) == "alice"
    assert User.objects.get().email == "new@example.com"
    assert whoami(async_client, authelia("bob")) == "bob"


@pytest.mark.parametrize(
    ("middleware", "after"),
    [pytest.param(OURS, "-", id="logs-out"), pytest.param(PERSISTENT, "alice", id="persistent")],
)
def test_identity_disappears(settings, async_client, native, middleware, after) -> None:
    settings.MIDDLEWARE = [*BASE_MIDDLEWARE, middleware]
    assert whoami(async_client, authelia()) == "alice"
    assert whoami(async_client) == after


def test_other_backend_session_kept(async_client, native) -> None:
    User.objects.create_user("carol", password="pw")
    assert async_client.login(username="carol", password="pw")
    assert whoami(async_client) == "carol"


def test_rejection_and_untrusted(settings, async_client, native) -> None:
    response = get(async_client, headers={"Remote-User": "a,b"})
    assert response.status_code == 400
    assert b"multiple_values" in response.content
    settings.REMOTE_IDENTITY_TRUSTED_PROXIES = ["10.0.0.1"]
    assert whoami(async_client, authelia()) == "-"
    assert not User.objects.exists()


def test_excluded_path(settings, async_client, native) -> None:
    settings.REMOTE_IDENTITY_EXCLUDED_PATHS = ["/api/"]
    assert get(async_client, "/api/whoami/", headers=authelia()).content == b"-"


def test_unknown_user_without_creation(settings, async_client, native) -> None:
    settings.REMOTE_IDENTITY_CREATE_UNKNOWN_USER = False
    assert whoami(async_client, authelia()) == "-"


def test_failed_resync_logs_out(async_client, native, monkeypatch) -> None:
    assert whoami(async_client, authelia(email="old@example.com")) == "alice"

    def broken(*args: object, **kwargs: object) -> None:
        raise DatabaseError("gone")

    monkeypatch.setattr(RemoteIdentityBackend, "sync", broken)
    assert whoami(async_client, authelia(email="new@example.com")) == "-"


def test_authentication_middleware_required(settings, async_client, native) -> None:
    settings.MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware", OURS]
    with pytest.raises(ImproperlyConfigured, match="before the RemoteIdentityMiddleware class"):
        get(async_client)


@pytest.mark.parametrize(
    ("peer", "expected"),
    [
        # The core's ASGI layer trusts 127.0.0.2, which the Django settings do not: the
        # Django middleware adopts the ASGI layer's verdict instead of judging again.
        pytest.param("127.0.0.2", "bob", id="trusted-by-the-asgi-layer"),
        pytest.param("127.0.0.3", "-", id="untrusted"),
    ],
)
def test_verdict_of_the_core_asgi_layer_is_adopted(client, peer: str, expected: str) -> None:
    seen: dict[str, Any] = {}

    async def django(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.update(scope)

    layer = AsgiRemoteIdentityMiddleware(django, trusted_proxies=["127.0.0.2"])
    scope = {"type": "http", "client": (peer, 1), "headers": [(b"remote-user", b"bob")]}
    async_to_sync(layer)(scope, None, None)
    request = RequestFactory().get("/whoami/", REMOTE_ADDR=peer, HTTP_REMOTE_USER="bob")
    request.scope = seen  # what Django's ASGIRequest keeps
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    assert RemoteIdentityMiddleware(lambda r: None).process_request(request) is None
    assert request.META["remote_identity.verdict"] is seen["remote_identity.verdict"]
    assert (request.user.get_username() or "-") == expected
