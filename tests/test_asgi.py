"""The ASGI middleware: raw ASGI calls and a Starlette application."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from remote_identity.asgi import RemoteIdentityMiddleware

PROXY = "127.0.0.2"
ATTACKER = "127.0.0.3"
SECRET = "s3cret-value-for-tests-0123456789"


async def whoami(request: Request) -> JSONResponse:
    identity = request.scope["remote_identity"]
    verdict = request.scope["remote_identity.verdict"]
    return JSONResponse(
        {
            "username": identity and identity.username,
            "name": identity and identity.name,
            "groups": list(identity.groups) if identity else [],
            "outcome": verdict.outcome,
            "stripped": list(verdict.stripped),
            "headers": sorted(k.decode() for k, _ in request.scope["headers"]),
        }
    )


async def socket(websocket: WebSocket) -> None:
    await websocket.accept()
    identity = websocket.scope["remote_identity"]
    await websocket.send_json({"username": identity and identity.username})
    await websocket.close()


starlette_app = Starlette(routes=[Route("/", whoami), WebSocketRoute("/ws", socket)])


def client(peer: str, **options: Any) -> TestClient:
    app = RemoteIdentityMiddleware(starlette_app, trusted_proxies=[PROXY], **options)
    return TestClient(app, client=(peer, 50000))


def test_trusted_proxy_identity_reaches_the_app() -> None:
    name = "Jörn Müller".encode()  # raw UTF-8 bytes on the wire, as Authelia sends
    response = client(PROXY).get(
        "/", headers={"Remote-User": "jorn", "Remote-Name": name, "Remote-Groups": "a,b,a"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "jorn"
    assert body["name"] == "Jörn Müller"
    assert body["groups"] == ["a", "b"]
    assert body["outcome"] == "identity"


def test_untrusted_peer_headers_are_removed_from_the_scope(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="remote_identity.security"):
        response = client(ATTACKER).get(
            "/", headers={"Remote-User": "admin", "Remote-Groups": "admins"}
        )
    body = response.json()
    assert body["username"] is None
    assert body["stripped"] == ["Remote-User", "Remote-Groups"]
    assert "remote-user" not in body["headers"]
    assert "remote-groups" not in body["headers"]
    assert "admin" not in caplog.text.replace("admins", "")
    assert [r.reason for r in caplog.records] == ["untrusted_peer"]  # type: ignore[attr-defined]


def test_untrusted_peer_rejected_with_403_when_configured() -> None:
    response = client(ATTACKER, on_untrusted="reject").get("/", headers={"Remote-User": "admin"})
    assert response.status_code == 403
    assert "untrusted_peer" in response.text
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        pytest.param(
            [("Remote-User", "alice"), ("Remote-User", "admin")], "multiple_values", id="repeated"
        ),
        pytest.param(
            [("Remote-User", "ᴬdmin".encode().decode("latin-1"))],
            "compatibility_character",
            id="nfkc",
        ),
        pytest.param([("Remote-User", "\xff\xfe")], "not_utf8", id="not-utf8"),
    ],
)
def test_invalid_identity_from_proxy_is_400(headers: list[tuple[str, str]], reason: str) -> None:
    raw = [(name.lower().encode(), value.encode("latin-1")) for name, value in headers]
    status, body = asyncio.run(call_raw(PROXY, raw))
    assert status == 400
    assert reason in body


@pytest.mark.parametrize("peer", [PROXY, ATTACKER])
def test_underscore_spelling_never_reaches_the_app(
    peer: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="remote_identity.security"):
        response = client(peer).get("/", headers={"Remote_User": "admin", "Remote-User": "bob"})
    body = response.json()
    assert "remote_user" not in body["headers"]
    assert body["username"] == ("bob" if peer == PROXY else None)
    assert any(r.reason == "underscore_header" for r in caplog.records)  # type: ignore[attr-defined]


def test_shared_secret_is_checked_and_never_passed_on() -> None:
    options = {"shared_secret_header": "X-Proxy-Secret", "shared_secret": SECRET}
    good = client(PROXY, **options).get(
        "/", headers={"Remote-User": "bob", "X-Proxy-Secret": SECRET}
    )
    assert good.json()["username"] == "bob"
    assert "x-proxy-secret" not in good.json()["headers"]
    bad = client(PROXY, **options).get("/", headers={"Remote-User": "bob", "X-Proxy-Secret": "no"})
    assert bad.json()["username"] is None
    assert "x-proxy-secret" not in bad.json()["headers"]


def test_websocket_identity_and_rejection() -> None:
    with client(PROXY).websocket_connect("/ws", headers={"Remote-User": "bob"}) as ws:
        assert ws.receive_json() == {"username": "bob"}
    rejecting = client(PROXY)
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        rejecting.websocket_connect("/ws", headers={"Remote-User": "a,b"}) as ws,
    ):
        ws.receive_json()
    assert closed.value.code == 1008


def test_lifespan_and_other_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        assert "remote_identity" not in scope

    middleware = RemoteIdentityMiddleware(app, trusted_proxies=[PROXY])
    asyncio.run(middleware({"type": "lifespan"}, _never, _discard))
    assert seen == ["lifespan"]


def test_unix_socket_peer_without_client() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["remote_identity"])

    seen: list[Any] = []
    middleware = RemoteIdentityMiddleware(app, trusted_proxies=["unix"])
    scope = {"type": "http", "client": None, "headers": [(b"remote-user", b"carol")]}
    asyncio.run(middleware(scope, _never, _discard))
    assert seen[0].username == "carol"


async def _never() -> dict[str, Any]:
    raise AssertionError("receive() must not be called")


async def _discard(message: dict[str, Any]) -> None:
    return None


async def call_raw(peer: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, str]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    middleware = RemoteIdentityMiddleware(starlette_app, trusted_proxies=[PROXY])
    scope = {"type": "http", "method": "GET", "path": "/", "client": (peer, 1), "headers": headers}
    await middleware(scope, _never, send)
    return sent[0]["status"], sent[1]["body"].decode()


async def call_scope(
    peer: str | None, headers: list[tuple[bytes, bytes]], **options: Any
) -> tuple[dict[str, Any], RemoteIdentityMiddleware]:
    seen: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope)

    options.setdefault("trusted_proxies", [PROXY])
    middleware = RemoteIdentityMiddleware(app, **options)
    client = None if peer is None else (peer, 1)
    scope = {"type": "http", "method": "GET", "path": "/", "client": client, "headers": headers}
    await middleware(scope, _never, _discard)
    assert scope["headers"] == headers  # the caller's scope is left as it was
    return seen[0], middleware


SECRET_OPTIONS = {"shared_secret_header": "X-Proxy-Secret", "shared_secret": SECRET}


@pytest.mark.parametrize(
    ("peer", "headers", "options", "orig", "kept"),
    [
        pytest.param(
            ATTACKER,
            [(b"accept", b"*/*"), (b"remote-user", b"admin"), (b"remote-groups", b"admins")],
            {},
            {"HTTP_REMOTE_USER": "admin", "HTTP_REMOTE_GROUPS": "admins"},
            [(b"accept", b"*/*")],
            id="untrusted",
        ),
        pytest.param(
            ATTACKER,
            [(b"remote-groups", b"a"), (b"remote-groups", b"b"), (b"x-other", b"1")],
            {},
            {"HTTP_REMOTE_GROUPS": "a,b"},
            [(b"x-other", b"1")],
            id="repeated-joined-as-wsgi",
        ),
        pytest.param(
            PROXY,
            [(b"remote-user", b"bob"), (b"remote_user", b"admin"), (b"remote_user", b"x")],
            {},
            {"remote_user": "admin"},
            [(b"remote-user", b"bob")],
            id="underscore-spelling",
        ),
        pytest.param(
            PROXY,
            [(b"remote-user", b"bob"), (b"x-proxy-secret", SECRET.encode())],
            SECRET_OPTIONS,
            {"HTTP_X_PROXY_SECRET": "[redacted]"},
            [(b"remote-user", b"bob")],
            id="secret-redacted",
        ),
        pytest.param(
            PROXY,
            [(b"remote-user", b"bob")],
            SECRET_OPTIONS,
            {"HTTP_REMOTE_USER": "bob"},
            [],
            id="secret-missing-nothing-to-redact",
        ),
        pytest.param(
            PROXY,
            [(b"remote-user", b"a,b"), (b"remote-name", "Jörn".encode())],
            {"on_invalid": "anonymous"},
            {"HTTP_REMOTE_USER": "a,b", "HTTP_REMOTE_NAME": "Jörn".encode().decode("latin-1")},
            [],
            id="invalid-made-anonymous",
        ),
        pytest.param(
            PROXY,
            [(b"remote-user", b"bob"), (b"accept", b"*/*")],
            {},
            None,
            [(b"remote-user", b"bob"), (b"accept", b"*/*")],
            id="trusted-nothing-removed",
        ),
    ],
)
def test_scope_records_what_was_removed_like_wsgi(
    peer: str,
    headers: list[tuple[bytes, bytes]],
    options: dict[str, Any],
    orig: dict[str, str] | None,
    kept: list[tuple[bytes, bytes]],
) -> None:
    scope, _ = asyncio.run(call_scope(peer, headers, **options))
    assert scope.get("remote_identity.orig") == orig
    assert scope["headers"] == kept
    assert SECRET not in repr(scope)


def test_underscore_spellings_are_counted_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def run() -> RemoteIdentityMiddleware:
        _, middleware = await call_scope(PROXY, [(b"remote_user", b"admin")])
        for _ in range(4):
            await middleware(
                {"type": "http", "client": (PROXY, 1), "headers": [(b"remote_user", b"a")]},
                _never,
                _discard,
            )
        return middleware

    with caplog.at_level(logging.WARNING, logger="remote_identity"):
        middleware = asyncio.run(run())
    assert middleware.gate.refusals == {"underscore_header": 5}
    (record,) = caplog.records
    assert record.reason == "underscore_header"  # type: ignore[attr-defined]
    assert record.headers == ("remote_user",)  # type: ignore[attr-defined]
    assert "admin" not in caplog.text


def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'trusted'"):
        RemoteIdentityMiddleware(starlette_app, trusted=[PROXY])  # type: ignore[call-arg]
