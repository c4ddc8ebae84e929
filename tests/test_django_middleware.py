"""``RemoteIdentityMiddleware`` / ``PersistentRemoteIdentityMiddleware`` under WSGI."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError
from django.test import Client, RequestFactory

from remote_identity import Identity
from remote_identity_django.backends import RemoteIdentityBackend
from remote_identity_django.middleware import (
    PersistentRemoteIdentityMiddleware,
    RemoteIdentityMiddleware,
)
from remote_identity_django.models import SyncState
from tests.djangoapp.support import authelia

pytestmark = pytest.mark.django_db

OURS = "remote_identity_django.middleware.RemoteIdentityMiddleware"
PERSISTENT = "remote_identity_django.middleware.PersistentRemoteIdentityMiddleware"
BASE_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


def whoami(client: Client, headers: dict[str, str] | None = None, **extra: str) -> str:
    response = client.get("/whoami/", headers=headers or {}, **extra)
    assert response.status_code == 200
    return response.content.decode()


def test_get_response_required() -> None:
    with pytest.raises(ValueError, match="get_response must be provided"):
        RemoteIdentityMiddleware(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("middleware", [OURS, PERSISTENT])
def test_authentication_middleware_required(settings, client, middleware) -> None:
    settings.MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware", middleware]
    name = middleware.rsplit(".", 1)[1]
    with pytest.raises(ImproperlyConfigured, match=f"before the {name} class"):
        client.get("/whoami/")


def test_subclasses_keep_django_types() -> None:
    from django.contrib.auth.middleware import (
        PersistentRemoteUserMiddleware,
        RemoteUserMiddleware,
    )

    assert issubclass(RemoteIdentityMiddleware, RemoteUserMiddleware)
    assert issubclass(PersistentRemoteIdentityMiddleware, PersistentRemoteUserMiddleware)
    assert RemoteIdentityMiddleware.sync_capable
    assert RemoteIdentityMiddleware.async_capable


def test_first_request_creates_and_logs_in(client) -> None:
    assert whoami(client, authelia()) == "alice"
    user = User.objects.get()
    assert (user.username, user.get_full_name(), user.email) == (
        "alice",
        "Alice Liddell",
        "alice@example.com",
    )
    assert not user.has_usable_password()
    state = SyncState.objects.get(user=user)
    assert state.created_user
    assert state.fingerprint == RemoteIdentityBackend().sync_fingerprint(
        Identity("alice", "Alice Liddell", "alice@example.com", ("editors",))
    )
    assert whoami(client, authelia()) == "alice"
    assert User.objects.count() == 1


def test_unknown_user_without_creation(settings, client) -> None:
    settings.REMOTE_IDENTITY_CREATE_UNKNOWN_USER = False
    assert whoami(client, authelia()) == "-"
    assert not User.objects.exists()
    User.objects.create(username="alice")
    assert whoami(client, authelia()) == "alice"


def test_user_switch_logs_the_new_user_in(client) -> None:
    assert whoami(client, authelia("alice")) == "alice"
    old_session = client.session.session_key
    assert whoami(client, authelia("bob")) == "bob"
    assert client.session.session_key != old_session


@pytest.mark.parametrize(
    ("middleware", "after"),
    [
        pytest.param(OURS, "-", id="logs-out"),
        pytest.param(PERSISTENT, "alice", id="persistent-keeps"),
    ],
)
def test_identity_disappears(settings, client, middleware, after) -> None:
    settings.MIDDLEWARE = [*BASE_MIDDLEWARE, middleware]
    assert whoami(client, authelia()) == "alice"
    assert whoami(client) == after
    assert whoami(client, {"Remote-User": ""}) == after


def test_session_of_another_backend_is_kept_without_identity(client) -> None:
    User.objects.create_user("carol", password="pw")
    assert client.login(username="carol", password="pw")
    assert whoami(client) == "carol"


@pytest.mark.parametrize(
    ("backend", "logged_out"),
    [
        pytest.param("remote_identity_django.backends.RemoteIdentityBackend", True, id="ours"),
        pytest.param("django.contrib.auth.backends.RemoteUserBackend", True, id="stock-remote"),
        pytest.param("django.contrib.auth.backends.ModelBackend", False, id="model"),
        pytest.param("no.such.Backend", True, id="unloadable"),
    ],
)
def test_remove_invalid_user_like_django(backend, logged_out) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().get("/")
    request.user = User.objects.create(username="alice")
    request.session = SessionStore()
    request.session["_auth_user_backend"] = backend
    RemoteIdentityMiddleware(lambda request: None)._remove_invalid_user(request)
    assert request.user.is_anonymous is logged_out


@pytest.mark.parametrize(
    ("peer", "expected"),
    [
        pytest.param("127.0.0.1", "alice", id="trusted"),
        pytest.param("10.9.8.7", "-", id="untrusted"),
        pytest.param("::ffff:127.0.0.1", "alice", id="mapped-ipv6"),
        pytest.param("", "-", id="no-peer"),
    ],
)
def test_trust_comes_from_the_peer(client, peer, expected) -> None:
    assert whoami(client, authelia(), REMOTE_ADDR=peer) == expected


def test_spoofed_headers_from_untrusted_peer_never_log_in_and_are_removed() -> None:
    request = RequestFactory().get(
        "/", headers={**authelia("admin"), "X-Forwarded-For": "127.0.0.1"}, REMOTE_ADDR="10.1.1.1"
    )
    request.user = AnonymousUser()
    request.session = {}
    assert RemoteIdentityMiddleware(lambda request: None).process_request(request) is None
    assert "HTTP_REMOTE_USER" not in request.META
    assert request.META["remote_identity.orig"]["HTTP_REMOTE_USER"] == "admin"
    assert not User.objects.exists()


def test_untrusted_peer_spoofing_logs_out_a_remote_session(client) -> None:
    assert whoami(client, authelia("alice")) == "alice"
    assert whoami(client, authelia("admin"), REMOTE_ADDR="10.1.1.1") == "-"
    assert not User.objects.filter(username="admin").exists()


@pytest.mark.parametrize(
    ("overrides", "headers", "peer", "status", "reason"),
    [
        pytest.param({}, {"Remote-User": "a,b"}, "127.0.0.1", 400, "multiple_values", id="invalid"),
        pytest.param(
            {}, {"Remote-User": "a\x01"}, "127.0.0.1", 400, "control_character", id="control"
        ),
        pytest.param(
            {"REMOTE_IDENTITY_ON_UNTRUSTED": "reject"},
            {"Remote-User": "alice"},
            "10.0.0.9",
            403,
            "untrusted_peer",
            id="untrusted-reject",
        ),
        pytest.param(
            {
                "REMOTE_IDENTITY_SHARED_SECRET_HEADER": "X-Secret",
                "REMOTE_IDENTITY_SHARED_SECRET": "s" * 16,
                "REMOTE_IDENTITY_ON_UNTRUSTED": "reject",
            },
            {"Remote-User": "alice", "X-Secret": "wrong"},
            "127.0.0.1",
            403,
            "bad_secret",
            id="bad-secret",
        ),
    ],
)
def test_rejections_are_plain_4xx(settings, client, overrides, headers, peer, status, reason):
    for name, value in overrides.items():
        setattr(settings, name, value)
    response = client.get("/whoami/", headers=headers, REMOTE_ADDR=peer)
    assert response.status_code == status
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert reason in response.content.decode()
    assert not User.objects.exists()


def test_invalid_identity_served_anonymously_when_configured(settings, client) -> None:
    settings.REMOTE_IDENTITY_ON_INVALID = "anonymous"
    assert whoami(client, {"Remote-User": "a,b"}) == "-"


def test_shared_secret_accepted(settings, client) -> None:
    settings.REMOTE_IDENTITY_SHARED_SECRET_HEADER = "X-Secret"
    settings.REMOTE_IDENTITY_SHARED_SECRET = "s" * 16
    assert whoami(client, {**authelia(), "X-Secret": "s" * 16}) == "alice"


def test_identity_from_the_wsgi_layer_is_used_as_is(client) -> None:
    identity = Identity("dave", "Dave", "dave@example.com", ("editors",))
    # A request the WSGI layer judged: its headers are not read again.
    assert whoami(client, authelia("mallory"), remote_identity=identity) == "dave"
    assert User.objects.get().email == "dave@example.com"
    assert whoami(client, remote_identity=None) == "-"
    assert whoami(client, remote_identity="not an identity") == "-"


@pytest.mark.parametrize(
    ("path", "user"),
    [
        pytest.param("/api/whoami/", "-", id="excluded"),
        pytest.param("/whoami/", "alice", id="other"),
    ],
)
def test_excluded_paths_neither_log_in(settings, client, path, user) -> None:
    settings.REMOTE_IDENTITY_EXCLUDED_PATHS = ["/api/"]
    assert client.get(path, headers=authelia()).content.decode() == user


def test_excluded_paths_neither_log_out_but_strip_and_reject(settings, client) -> None:
    settings.REMOTE_IDENTITY_EXCLUDED_PATHS = ["/api/"]
    assert whoami(client, authelia()) == "alice"
    assert client.get("/api/whoami/").content == b"alice"
    assert client.get("/api/whoami/", headers={"Remote-User": "a,b"}).status_code == 400
    response = client.get("/api/whoami/", headers=authelia("bob"), REMOTE_ADDR="10.0.0.1")
    assert response.content == b"alice"


def test_csrf_token_rotated_at_login_and_post_passes() -> None:
    client = Client(enforce_csrf_checks=True)
    token = client.get("/form/").content.decode()
    old_cookie = client.cookies["csrftoken"].value
    response = client.post("/form/", {"csrfmiddlewaretoken": token}, headers=authelia())
    assert response.status_code == 200
    assert response.content == b"alice"
    assert client.cookies["csrftoken"].value != old_cookie


def test_changed_identity_resyncs_on_the_next_request(client) -> None:
    assert whoami(client, authelia(email="old@example.com")) == "alice"
    assert whoami(client, authelia(email="new@example.com", groups="editors,staff")) == "alice"
    user = User.objects.get()
    assert user.email == "new@example.com"
    assert SyncState.objects.get(user=user).fingerprint == RemoteIdentityBackend().sync_fingerprint(
        Identity("alice", "Alice Liddell", "new@example.com", ("editors", "staff"))
    )


def test_session_from_another_backend_is_taken_over_once(client) -> None:
    # The proxy names the user a password session belongs to: one login through the
    # remote backend syncs it, and the session is the remote backend's from then on.
    User.objects.create_user("alice", password="pw")
    assert client.login(username="alice", password="pw")
    assert whoami(client, authelia()) == "alice"
    assert User.objects.get().email == "alice@example.com"
    assert client.session["_auth_user_backend"] == (
        "remote_identity_django.backends.RemoteIdentityBackend"
    )
    assert SyncState.objects.filter(user__username="alice").exists()


def test_local_account_is_left_alone_when_refused(settings, client) -> None:
    settings.REMOTE_IDENTITY_LOCAL_USERS = "refuse"
    User.objects.create_user("alice", password="pw")
    assert client.login(username="alice", password="pw")
    assert whoami(client, authelia()) == "alice"  # the password session, kept
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
    assert User.objects.get().email == ""
    assert not SyncState.objects.exists()


def test_failed_resync_logs_out(client, monkeypatch, caplog) -> None:
    assert whoami(client, authelia(email="old@example.com")) == "alice"

    def broken(*args, **kwargs):
        raise DatabaseError("disk on fire")

    monkeypatch.setattr(RemoteIdentityBackend, "sync", broken)
    with caplog.at_level(logging.ERROR, logger="remote_identity.django"):
        assert whoami(client, authelia(email="new@example.com")) == "-"
    assert caplog.records[0].reason == "sync_failed"
    assert User.objects.get().email == "old@example.com"


def test_resync_that_deactivates_logs_out(settings, client) -> None:
    settings.REMOTE_IDENTITY_USER_FLAGS_BY_GROUP = {"is_active": ["users"]}
    assert whoami(client, authelia(groups="users")) == "alice"
    assert whoami(client, authelia(groups="")) == "-"
    assert not User.objects.get().is_active


def test_resync_without_our_backend_does_nothing(settings, client) -> None:
    User.objects.create_user("alice", password="pw")
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    assert client.login(username="alice", password="pw")
    assert whoami(client, authelia()) == "alice"
    assert User.objects.get().email == ""
    assert not SyncState.objects.exists()


@pytest.mark.parametrize("persistent", [False, True], ids=["remote", "persistent"])
def test_an_identity_without_email_in_email_mode_is_logged_once(
    settings, client, caplog, persistent
) -> None:
    settings.REMOTE_IDENTITY_IDENTIFY_BY = "email"
    if persistent:
        settings.MIDDLEWARE = [
            m.replace(
                "middleware.RemoteIdentityMiddleware",
                "middleware.PersistentRemoteIdentityMiddleware",
            )
            for m in settings.MIDDLEWARE
        ]
        assert any(m.endswith(".PersistentRemoteIdentityMiddleware") for m in settings.MIDDLEWARE)
    with caplog.at_level(logging.WARNING, logger="remote_identity.django"):
        assert whoami(client, authelia(email=None)) == "-"
    assert [r.reason for r in caplog.records] == ["no_email"]


def test_username_case_setting(settings, client) -> None:
    settings.REMOTE_IDENTITY_USERNAME_CASE = "lower"
    assert whoami(client, authelia("Alice")) == "alice"


# --- one decision, two shells: the same table through the sync and the async path -------

LOCAL = "django.contrib.auth.backends.ModelBackend"
REMOTE = "remote_identity_django.backends.RemoteIdentityBackend"
ALICE, BOB, CAROL = authelia(), authelia("bob"), authelia("carol")
NOBODY, INVALID = {}, {"Remote-User": "a,b"}
ALICE_NEW, ALICE_NO_MAIL = authelia(email="new@example.com"), authelia(email=None)
# A valid address (254 at most) longer than User.username (150): refused, never cut.
ALICE_LONG_MAIL = authelia(email="a" * 139 + "@example.com")
FLAGS = {"REMOTE_IDENTITY_USER_FLAGS_BY_GROUP": {"is_staff": ["editors"]}}
REFUSE_LOCAL = {"REMOTE_IDENTITY_LOCAL_USERS": "refuse"}
BY_EMAIL = {"REMOTE_IDENTITY_IDENTIFY_BY": "email"}
UNTRUSTED = {"REMOTE_IDENTITY_TRUSTED_PROXIES": ["10.0.0.9"]}
OFF = {"REMOTE_IDENTITY_ENABLED": False}
W, API = "/whoami/", "/api/whoami/"


def _session(client: Client, kind: str) -> None:
    """Give ``client`` a session: none, the proxy's alice, or a password login; or no
    session and a local account (``local-NAME``)."""
    if kind.startswith("alice"):
        assert whoami(client, authelia()) == "alice"
        if kind == "alice+password":  # an administrator gave the account a password
            alice = User.objects.get(username="alice")
            alice.set_password("pw")
            alice.save()
    elif kind.startswith("local-"):
        User.objects.create_user(kind.removeprefix("local-"), password="pw")
    elif kind.startswith("password-"):
        name = kind.removeprefix("password-")
        User.objects.create_user(name, password="pw")
        assert client.login(username=name, password="pw")


DECISIONS = [
    # session, settings, headers, path, middleware -> action, status, user, backend; id
    ("none", {}, ALICE, W, OURS, "LOGIN", 200, "alice", REMOTE, "login"),
    ("alice", {}, ALICE, W, OURS, "NONE", 200, "alice", REMOTE, "steady"),
    ("alice", {}, ALICE_NEW, W, OURS, "RESYNC", 200, "alice", REMOTE, "identity-changed"),
    ("alice", FLAGS, ALICE, W, OURS, "RESYNC", 200, "alice", REMOTE, "settings-changed"),
    ("alice", {}, BOB, W, OURS, "LOGIN", 200, "bob", REMOTE, "other-user"),
    ("alice", {}, NOBODY, W, OURS, "LOGOUT", 200, "-", None, "identity-gone"),
    ("alice", {}, NOBODY, W, PERSISTENT, "NONE", 200, "alice", REMOTE, "gone-persistent"),
    ("none", {}, NOBODY, W, OURS, "NONE", 200, "-", None, "nobody"),
    ("password-carol", {}, NOBODY, W, OURS, "LOGOUT", 200, "carol", LOCAL, "password-kept"),
    ("password-carol", {}, ALICE, W, OURS, "LOGIN", 200, "alice", REMOTE, "password-other"),
    ("password-alice", {}, ALICE, W, OURS, "LOGIN", 200, "alice", REMOTE, "taken-over"),
    ("password-alice", REFUSE_LOCAL, ALICE, W, OURS, "LOGOUT", 200, "alice", LOCAL, "kept-out"),
    # A new password ends the session (Django's session hash); the login is refused.
    ("alice+password", REFUSE_LOCAL, ALICE, W, OURS, "LOGIN", 200, "-", None, "now-local"),
    ("local-carol", REFUSE_LOCAL, CAROL, W, OURS, "LOGIN", 200, "-", None, "local-refused"),
    ("alice", {}, INVALID, W, OURS, "REFUSE", 400, None, REMOTE, "invalid"),
    ("none", {}, ALICE, API, OURS, "NONE", 200, "-", None, "excluded-path"),
    ("alice", UNTRUSTED, BOB, W, OURS, "LOGOUT", 200, "-", None, "untrusted-peer"),
    ("none", BY_EMAIL, ALICE, W, OURS, "LOGIN", 200, "alice@example.com", REMOTE, "by-email"),
    ("none", BY_EMAIL, ALICE_NO_MAIL, W, OURS, "NONE", 200, "-", None, "by-email-no-address"),
    ("alice", BY_EMAIL, ALICE_LONG_MAIL, W, OURS, "LOGIN", 200, "-", None, "by-email-too-long"),
    ("alice", OFF, ALICE, W, OURS, "LOGOUT", 200, "-", None, "disabled"),
]  # fmt: skip


@pytest.fixture(params=["sync", "async-native", "async-thread"])
def shell(request, monkeypatch) -> str:
    if request.param == "async-native" and not RemoteIdentityMiddleware.native_async:
        pytest.skip("Django < 5.2 has no native async remote-user path")
    monkeypatch.setattr(RemoteIdentityMiddleware, "native_async", request.param == "async-native")
    return str(request.param)


@pytest.mark.parametrize(
    ("session", "overrides", "headers", "path", "middleware", "action", "status", "user",
     "backend"),
    [pytest.param(*row[:-1], id=row[-1]) for row in DECISIONS],
)  # fmt: skip
def test_decision_table(
    settings, monkeypatch, shell, session, overrides, headers, path, middleware, action,
    status, user, backend,
) -> None:  # fmt: skip
    """Each row through the sync, the native async and the threaded async shell."""
    from django.test import AsyncClient

    from tests.djangoapp.support import aget

    settings.REMOTE_IDENTITY_EXCLUDED_PATHS = ["/api/"]
    settings.MIDDLEWARE = [*BASE_MIDDLEWARE, middleware]
    setup = Client()
    _session(setup, session)
    for name, value in overrides.items():
        setattr(settings, name, value)
    decided = []
    original = RemoteIdentityMiddleware.decide

    def recording(self, request, verdict, user=None):
        decision = original(self, request, verdict, user)
        if decision.action.name != "NEED_USER":
            decided.append(decision.action.name)
        return decision

    monkeypatch.setattr(RemoteIdentityMiddleware, "decide", recording)
    if shell == "sync":
        client: Any = Client()
        client.cookies = setup.cookies
        response = client.get(path, headers=headers)
    else:
        client = AsyncClient()
        client.cookies = setup.cookies
        response = aget(client, path, headers=headers)
    assert decided == [action]
    assert response.status_code == status
    if user is not None:
        assert response.content.decode() == user
    assert client.session.get("_auth_user_backend") == backend
    if action == "RESYNC":
        alice = User.objects.get(username="alice")
        assert (alice.email, alice.is_staff) == (
            headers.get("Remote-Email"),
            bool(overrides),
        )
