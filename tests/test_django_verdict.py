"""``request_verdict()``: where a request's verdict comes from, and that no layer of the
request keeps a header the gate removed (``META``, ``request.headers``, the ASGI scope)."""

from __future__ import annotations

import asyncio
import json
from io import BytesIO
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.test import Client, RequestFactory

from remote_identity import Identity, Verdict
from remote_identity.gate import ORIG_KEY, VERDICT_KEY
from remote_identity_django.verdict import DISABLED, request_verdict
from tests.djangoapp.support import authelia

pytestmark = pytest.mark.django_db

SECRET = "s" * 24
READER = "tests.djangoapp.support.HeadersReader"
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    READER,  # reads request.headers first: Django caches them
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "remote_identity_django.middleware.RemoteIdentityMiddleware",
]


@pytest.fixture(autouse=True)
def with_secret(settings: Any) -> None:
    settings.MIDDLEWARE = MIDDLEWARE
    settings.REMOTE_IDENTITY_SHARED_SECRET_HEADER = "X-Secret"
    settings.REMOTE_IDENTITY_SHARED_SECRET = SECRET


def asgi_get(
    path: str, headers: list[tuple[bytes, bytes]], peer: str, status: int = 200
) -> dict[str, Any]:
    """One request through Django's own ASGI handler, with the header list as sent (an
    underscore spelling included, which Django's test client cannot send)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": (peer, 4000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []
    body = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if body:
            return body.pop()
        await asyncio.Event().wait()  # the client stays connected (cancelled by Django)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async_to_sync(ASGIHandler())(scope, receive, send)
    assert sent[0]["status"] == status, sent
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return dict(json.loads(body)) if status == 200 else {}


@pytest.mark.parametrize(
    ("peer", "secret", "user", "meta", "headers"),
    [
        pytest.param(
            "10.0.0.9", SECRET, None, {}, {}, id="untrusted-peer: identity and secret removed"
        ),
        pytest.param(
            "127.0.0.1",
            "wrong-secret-value-0000",
            None,
            {},
            {},
            id="bad-secret: identity and secret removed",
        ),
        pytest.param(
            "127.0.0.1",
            SECRET,
            "admin",
            {"remote-user": "admin", "remote-groups": "admins"},
            {"remote-user": "admin", "remote-groups": "admins"},
            id="trusted: the secret removed, the identity kept",
        ),
    ],
)
def test_wsgi_no_layer_keeps_what_the_gate_removed(peer, secret, user, meta, headers) -> None:
    sent = {"Remote-User": "admin", "Remote-Groups": "admins", "X-Secret": secret}
    response = Client().get("/layers/", headers=sent, REMOTE_ADDR=peer)
    seen = response.json()
    assert (seen["meta"], seen["headers"], seen["scope"]) == (meta, headers, None)
    assert seen["user"] == user


def folds_underscores() -> bool:
    """Whether this Django's ASGI request maps ``remote_user`` onto ``HTTP_REMOTE_USER``
    (before 5.2.13 and 6.0.4)."""
    from django.core.handlers.asgi import ASGIRequest

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"x_y", b"1")]}
    return "HTTP_X_Y" in ASGIRequest(scope, BytesIO()).META


@pytest.mark.parametrize(
    ("peer", "secret", "user", "kept"),
    [
        pytest.param("10.0.0.9", SECRET, None, [], id="untrusted-peer"),
        pytest.param("127.0.0.1", "wrong-secret-value-0000", None, [], id="bad-secret"),
        pytest.param(
            "127.0.0.1",
            SECRET,
            "admin",
            [["remote-user", "admin"], ["remote-groups", "admins"]],
            id="trusted",
        ),
    ],
)
def test_asgi_no_layer_keeps_what_the_gate_removed(settings, peer, secret, user, kept) -> None:
    settings.MIDDLEWARE = [m for m in MIDDLEWARE if m != READER]
    headers = [
        (b"remote-user", b"admin"),
        (b"remote-groups", b"admins"),
        (b"remote_user", b"root"),  # an underscore spelling: never passed on
        (b"x-secret", secret.encode()),
    ]
    if folds_underscores() and user is not None:
        # This Django joins it onto Remote-User ("admin,root"): the gate refuses that.
        assert asgi_get("/layers/", headers, peer, status=400) == {}
        return
    seen = asgi_get("/layers/", headers, peer)
    assert seen["scope"] == kept
    expected = dict(kept)
    assert (seen["meta"], seen["headers"], seen["user"]) == (expected, expected, user)


def test_the_removed_values_are_recorded_and_the_secret_redacted() -> None:
    request = RequestFactory().get(
        "/", headers={**authelia("admin"), "X-Secret": SECRET}, REMOTE_ADDR="10.0.0.9"
    )
    request.headers.get("X-Secret")  # cached before the gate runs
    verdict = request_verdict(request)
    assert verdict.outcome == "anonymous"
    assert "X-Secret" not in request.headers
    assert "Remote-User" not in request.headers
    assert request.META[ORIG_KEY]["HTTP_REMOTE_USER"] == "admin"
    assert request.META[ORIG_KEY]["HTTP_X_SECRET"] == "[redacted]"
    assert SECRET not in repr(request.META)
    assert request_verdict(request) is verdict  # judged once


@pytest.mark.parametrize(
    ("identity", "outcome"),
    [
        pytest.param(Identity("dave"), "identity", id="identity"),
        pytest.param(None, "anonymous", id="none"),
        pytest.param("not an identity", "anonymous", id="garbage"),
    ],
)
def test_an_identity_without_a_verdict_is_taken_as_it_is(identity, outcome) -> None:
    request = RequestFactory().get("/", headers=authelia("mallory"))
    request.META["remote_identity"] = identity
    verdict = request_verdict(request)
    assert (verdict.outcome, verdict.peer) == (outcome, "127.0.0.1")
    assert verdict.identity == (identity if outcome == "identity" else None)
    assert request.META[VERDICT_KEY] is verdict
    assert request.META["HTTP_REMOTE_USER"] == "mallory"  # that layer's business


def test_a_verdict_in_the_scope_is_adopted_once() -> None:
    judged = Verdict("identity", "127.0.0.2", trusted=True, identity=Identity("bob"))
    request = RequestFactory().get("/")
    request.scope = {"remote_identity": judged.identity, "remote_identity.verdict": judged}  # type: ignore[attr-defined]
    assert request_verdict(request) is judged
    assert request.META["remote_identity"] == judged.identity
    assert request.META[VERDICT_KEY] is judged


def test_disabled_reads_and_removes_nothing(settings) -> None:
    settings.REMOTE_IDENTITY_ENABLED = False
    request = RequestFactory().get("/", headers=authelia("admin"), REMOTE_ADDR="10.0.0.9")
    assert request_verdict(request) is DISABLED
    assert request.META["HTTP_REMOTE_USER"] == "admin"
    assert VERDICT_KEY not in request.META
