"""The sign-in front's strict parsing of the original request (example/signin/targets.py).

A client writes ``Host``, ``X-Forwarded-Host``, ``X-Forwarded-Uri`` and the request line;
none of them may move the path that the access rules see. bob is in ``editors`` only,
and ``/admins-only/`` needs ``admins``: every crafted request below must be refused
(400 from the proxy, 401 from the authz endpoints) and must never reach the application
with bob's identity. Real servers on 127.0.0.1, raw HTTP over sockets.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import yaml
from argon2 import PasswordHasher

EXAMPLE = Path(__file__).resolve().parent.parent / "example"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

from signin.httpbase import loggable  # noqa: E402
from signin.server import RunningFront, start  # noqa: E402
from signin.targets import Target, TargetError, parse_host, parse_path, parse_url  # noqa: E402

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


# --- the parsers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("127.0.0.1", ("127.0.0.1", None), id="ipv4"),
        pytest.param("127.0.0.1:8000", ("127.0.0.1", 8000), id="ipv4-port"),
        pytest.param("LocalHost:80", ("localhost", 80), id="name-lowercased"),
        pytest.param("app.example.com", ("app.example.com", None), id="dns-name"),
        pytest.param("[::1]:9091", ("::1", 9091), id="ipv6-port"),
        pytest.param("[::1]", ("::1", None), id="ipv6"),
        pytest.param(" 127.0.0.1\t", ("127.0.0.1", None), id="http-whitespace-trimmed"),
    ],
)
def test_parse_host_accepts(value: str, expected: tuple[str, int | None]) -> None:
    assert parse_host(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("127.0.0.1/public/?", id="path-and-query"),
        pytest.param("127.0.0.1:80#", id="fragment-after-port"),
        pytest.param("127.0.0.1#", id="fragment"),
        pytest.param("127.0.0.1?", id="query"),
        pytest.param("127.0.0.1/", id="slash"),
        pytest.param("127.0.0.1\\public", id="backslash"),
        pytest.param("alice@127.0.0.1", id="userinfo"),
        pytest.param("127.0.0.1 /public/", id="inner-space"),
        pytest.param("127.0.0.1\x00", id="nul"),
        pytest.param("127.0.0.1:", id="empty-port"),
        pytest.param("127.0.0.1:99999", id="port-too-large"),
        pytest.param("127.0.0.1:0", id="port-zero"),
        pytest.param("127.0.0.1:80:80", id="two-ports"),
        pytest.param("127.0.0.1:8o", id="port-not-digits"),
        pytest.param("127.0.0.1:+80", id="port-sign"),
        pytest.param("[::1", id="unclosed-bracket"),
        pytest.param("[127.0.0.1]", id="ipv4-in-brackets"),
        pytest.param("[::1]x", id="junk-after-bracket"),
        pytest.param("[::1]:", id="ipv6-empty-port"),
        pytest.param("::1", id="ipv6-without-brackets"),
        pytest.param("", id="empty"),
        pytest.param("-bad.example", id="label-starts-with-hyphen"),
        pytest.param("a..b", id="empty-label"),
        pytest.param("ex\u0430mple.com", id="non-ascii"),
    ],
)
def test_parse_host_refuses(value: str) -> None:
    with pytest.raises(TargetError):
        parse_host(value)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        pytest.param("/", True, id="root"),
        pytest.param("/admins-only/?next=/public/", True, id="query"),
        pytest.param("/a%20b", True, id="percent-encoded"),
        pytest.param("admins-only/", False, id="relative"),
        pytest.param("", False, id="empty"),
        pytest.param("/admins-only/#/public/", False, id="fragment"),
        pytest.param("/public\\..\\admins-only/", False, id="backslash"),
        pytest.param("/public/ /admins-only/", False, id="space"),
        pytest.param("/public/\r\nX: y", False, id="crlf"),
        pytest.param("/\x1b[2J", False, id="escape"),
    ],
)
def test_parse_path(value: str, ok: bool) -> None:
    if ok:
        assert parse_path(value) == value
    else:
        with pytest.raises(TargetError):
            parse_path(value)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(
            "http://127.0.0.1:8000/admins-only/",
            Target("http", "127.0.0.1", 8000, "/admins-only/"),
            id="plain",
        ),
        pytest.param(
            "HTTPS://[::1]/x?y", Target("https", "::1", None, "/x?y"), id="ipv6-and-scheme-case"
        ),
        pytest.param("http://127.0.0.1#/admins-only/", None, id="fragment-before-path"),
        pytest.param("http://127.0.0.1?/admins-only/", None, id="query-before-path"),
        pytest.param("http://127.0.0.1:80#/admins-only/", None, id="port-then-fragment"),
        pytest.param("http://alice@127.0.0.1/admins-only/", None, id="userinfo"),
        pytest.param("http://127.0.0.1", None, id="no-path"),
        pytest.param("ftp://127.0.0.1/", None, id="other-scheme"),
        pytest.param("//127.0.0.1/", None, id="scheme-relative"),
        pytest.param("/admins-only/", None, id="not-absolute"),
    ],
)
def test_parse_url(url: str, expected: Target | None) -> None:
    if expected is None:
        with pytest.raises(TargetError):
            parse_url(url)
    else:
        assert parse_url(url) == expected
        assert parse_url(expected.url) == expected  # the URL built from the parts


@pytest.mark.parametrize(
    ("text", "logged"),
    [
        pytest.param("/plain/path", "/plain/path", id="plain"),
        pytest.param("/\x1b[31mred\x1b[0m", "/\\x1b[31mred\\x1b[0m", id="ansi"),
        pytest.param("/a\r\nforged line", "/a\\x0d\\x0aforged line", id="crlf"),
        pytest.param("/\x9b2J", "/\\x9b2J", id="c1-csi"),
        pytest.param("/back\\slash", "/back\\\\slash", id="backslash-doubled"),
        pytest.param("/J\u00f6rn", "/J\u00f6rn", id="printable-non-ascii-kept"),
    ],
)
def test_loggable(text: str, logged: str) -> None:
    assert loggable(text) == logged


# --- a running front ------------------------------------------------------------------


class Recorder(BaseHTTPRequestHandler):
    """The application: answers 200 and remembers each request's path and identity."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]]

    def do_any(self) -> None:
        self.seen.append({"path": self.path, "user": self.headers.get("Remote-User")})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = do_POST = do_HEAD = do_any

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def seen() -> list[dict[str, Any]]:
    return []


@pytest.fixture
def front(tmp_path: Path, seen: list[dict[str, Any]]) -> Iterator[RunningFront]:
    users = {
        name: {
            "displayname": name.title(),
            "password": CHEAP.hash(f"{name}-password"),
            "email": f"{name}@example.com",
            "groups": groups,
        }
        for name, groups in (("alice", ["admins"]), ("bob", ["editors"]))
    }
    (tmp_path / "users.yml").write_text(yaml.safe_dump({"users": users}), encoding="utf-8")
    handler = type("Handler", (Recorder,), {"seen": seen})
    app = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    app.daemon_threads = True
    thread = threading.Thread(target=app.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    running = start(
        tmp_path / "users.yml",
        portal=("127.0.0.1", 0),
        proxy=("127.0.0.1", 0),
        upstream=f"http://127.0.0.1:{app.server_address[1]}",
    )
    yield running
    running.stop()
    app.shutdown()
    app.server_close()
    thread.join(5)


def exchange(url: str, lines: list[str], body: str = "") -> bytes:
    """Send a request written line by line (no client library fixes anything up); the
    whole answer, up to the server's closing of the connection."""
    parts = urlsplit(url)
    data = ("\r\n".join([*lines, "Connection: close"]) + "\r\n\r\n" + body).encode("latin-1")
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        for _ in range(1000):  # until the server closes the connection
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    return received


def raw(url: str, lines: list[str], body: str = "") -> tuple[int, dict[str, str], bytes]:
    """`exchange`, the answer parsed: status, headers (lowercase names), body."""
    head, _, content = exchange(url, lines, body).partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, content


def authority(url: str | None) -> str:
    return urlsplit(url or "").netloc


def sign_in(front: RunningFront, username: str) -> str:
    """The Cookie header of a new session of ``username``."""
    body = f"username={username}&password={username}-password"
    status, headers, _ = raw(
        front.portal_url,
        [
            "POST / HTTP/1.1",
            f"Host: {authority(front.portal_url)}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
        ],
        body,
    )
    assert status == 303
    return headers["set-cookie"].split(";", 1)[0]


def via_proxy(front: RunningFront, target: str, *headers: str) -> tuple[int, dict[str, str], bytes]:
    assert front.proxy_url is not None
    return raw(front.proxy_url, [f"GET {target} HTTP/1.1", *headers, f"Accept: {HTML}"])


# --- the proxy: Host and request target -------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("{here}/public/?", id="host-with-path-and-query"),
        pytest.param("{here}/public/", id="host-with-path"),
        pytest.param("{ip}/public/?", id="ip-with-path-and-query"),
        pytest.param("{here}#", id="host-with-fragment"),
        pytest.param("{ip}:80#", id="port-then-fragment"),
        pytest.param("{here}?", id="host-with-query"),
        pytest.param("{here}\\public", id="host-with-backslash"),
        pytest.param("bob@{here}", id="userinfo"),
        pytest.param("{here} /public/", id="space-then-path"),
        pytest.param("{ip}:", id="empty-port"),
        pytest.param("{ip}:99999", id="port-too-large"),
        pytest.param("[{ip}]", id="ipv4-in-brackets"),
    ],
)
def test_proxy_refuses_a_crafted_host(
    front: RunningFront, seen: list[dict[str, Any]], host: str
) -> None:
    cookie = sign_in(front, "bob")
    value = host.format(here=authority(front.proxy_url), ip="127.0.0.1")
    status, _, _ = via_proxy(front, "/admins-only/", f"Host: {value}", f"Cookie: {cookie}")
    assert status == 400
    assert seen == []  # nothing reached the application


def test_proxy_refuses_two_host_headers(front: RunningFront, seen: list[dict[str, Any]]) -> None:
    cookie = sign_in(front, "bob")
    here = authority(front.proxy_url)
    status, _, _ = via_proxy(
        front, "/admins-only/", f"Host: {here}", f"Host: {here}", f"Cookie: {cookie}"
    )
    assert status == 400
    assert seen == []


@pytest.mark.parametrize(
    ("user", "target", "status", "reaches"),
    [
        pytest.param("bob", "/admins-only/", 403, None, id="bob-denied"),
        pytest.param("alice", "/admins-only/", 200, "/admins-only/", id="alice-allowed"),
        pytest.param("bob", "/public/", 200, "/public/", id="bob-public"),
        pytest.param("bob", "/public/../admins-only/", 403, None, id="dot-segments"),
        pytest.param("bob", "/public/%2e%2e/admins-only/", 403, None, id="encoded-dot-segments"),
        pytest.param("bob", "/public/#/admins-only/", 400, None, id="fragment-in-target"),
        pytest.param("bob", "public/", 400, None, id="relative-target"),
        pytest.param("bob", "http://{here}#/admins-only/", 400, None, id="absolute-with-fragment"),
        pytest.param("bob", "http://{here}/admins-only/", 403, None, id="absolute-form-judged"),
    ],
)
def test_proxy_judges_the_real_path(
    front: RunningFront,
    seen: list[dict[str, Any]],
    user: str,
    target: str,
    status: int,
    reaches: str | None,
) -> None:
    here = authority(front.proxy_url)
    got, _, _ = via_proxy(
        front, target.format(here=here), f"Host: {here}", f"Cookie: {sign_in(front, user)}"
    )
    assert got == status
    assert seen == ([{"path": reaches, "user": user}] if reaches else [])


# --- the authz endpoints: X-Forwarded-* and X-Original-URL ----------------------------


def forward_auth(front: RunningFront, cookie: str, **headers: str) -> int:
    values = {
        "X-Forwarded-Method": "GET",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": authority(front.proxy_url),
        "X-Forwarded-Uri": "/admins-only/",
    }
    values.update({k.replace("_", "-"): v for k, v in headers.items()})
    lines = [
        "GET /api/authz/forward-auth HTTP/1.1",
        f"Host: {authority(front.portal_url)}",
        f"Accept: {HTML}",
        f"Cookie: {cookie}",
        *(f"{name}: {value}" for name, value in values.items()),
    ]
    status, answer, _ = raw(front.portal_url, lines)
    assert status == 200 or "remote-user" not in answer  # an identity only when authorized
    return status


@pytest.mark.parametrize(
    ("header", "value"),
    [
        pytest.param("X_Forwarded_Host", "127.0.0.1:80#", id="host-port-fragment"),
        pytest.param("X_Forwarded_Host", "127.0.0.1#", id="host-fragment"),
        pytest.param("X_Forwarded_Host", "127.0.0.1/public/?", id="host-path-query"),
        pytest.param("X_Forwarded_Host", "127.0.0.1?", id="host-query"),
        pytest.param("X_Forwarded_Host", "bob@127.0.0.1", id="host-userinfo"),
        pytest.param("X_Forwarded_Host", "127.0.0.1\\", id="host-backslash"),
        pytest.param("X_Forwarded_Host", "127.0.0.1:x", id="host-bad-port"),
        pytest.param("X_Forwarded_Uri", "admins-only/", id="uri-relative"),
        pytest.param("X_Forwarded_Uri", "/public/#/admins-only/", id="uri-fragment"),
        pytest.param("X_Forwarded_Uri", "/public/ /admins-only/", id="uri-space"),
        pytest.param("X_Forwarded_Proto", "http://127.0.0.1/public/?", id="proto-with-url"),
        pytest.param("X_Forwarded_Proto", "gopher", id="proto-other"),
    ],
)
def test_forward_auth_refuses_crafted_headers(front: RunningFront, header: str, value: str) -> None:
    assert forward_auth(front, sign_in(front, "bob"), **{header: value}) == 401


@pytest.mark.parametrize(
    ("user", "uri", "status"),
    [
        pytest.param("bob", "/admins-only/", 403, id="bob-denied"),
        pytest.param("alice", "/admins-only/", 200, id="alice-allowed"),
        pytest.param("bob", "/public/", 200, id="bob-public"),
        pytest.param("bob", "/public/?next=/admins-only/", 200, id="query-is-not-the-path"),
        pytest.param("bob", "/public/../admins-only/", 403, id="dot-segments"),
    ],
)
def test_forward_auth_judges_the_real_path(
    front: RunningFront, user: str, uri: str, status: int
) -> None:
    assert forward_auth(front, sign_in(front, user), X_Forwarded_Uri=uri) == status


@pytest.mark.parametrize(
    ("url", "status"),
    [
        pytest.param("http://{here}#/admins-only/", 401, id="fragment-after-host"),
        pytest.param("http://{ip}:80#/admins-only/", 401, id="port-then-fragment"),
        pytest.param("http://{here}?/admins-only/", 401, id="query-after-host"),
        pytest.param("http://bob@{here}/admins-only/", 401, id="userinfo"),
        pytest.param("http://{here}\\admins-only/", 401, id="backslash"),
        pytest.param("http://{here}/admins-only/", 403, id="plain-denied"),
    ],
)
def test_auth_request_judges_x_original_url_strictly(
    front: RunningFront, url: str, status: int
) -> None:
    value = url.format(here=authority(front.proxy_url), ip="127.0.0.1")
    lines = [
        "GET /api/authz/auth-request HTTP/1.1",
        f"Host: {authority(front.portal_url)}",
        f"Cookie: {sign_in(front, 'bob')}",
        "X-Original-Method: GET",
        f"X-Original-URL: {value}",
    ]
    got, headers, _ = raw(front.portal_url, lines)
    assert got == status
    assert "remote-user" not in headers


# --- another name for the same address --------------------------------------------------


@pytest.mark.parametrize(
    "name", [pytest.param("localhost", id="localhost"), pytest.param("[::1]", id="ipv6")]
)
def test_proxy_refuses_another_host_name_with_a_link_to_the_right_one(
    front: RunningFront, seen: list[dict[str, Any]], name: str
) -> None:
    port = urlsplit(front.proxy_url).port
    status, headers, body = via_proxy(front, "/whoami/?x=<b>", f"Host: {name}:{port}")
    assert status == 421
    assert headers["content-type"].startswith("text/html")
    page = body.decode("utf-8")
    assert f'href="http://127.0.0.1:{port}/whoami/?x=&lt;b&gt;"' in page
    assert "<b>" not in page
    assert seen == []


def test_the_portal_host_is_served(front: RunningFront) -> None:
    status, headers, _ = via_proxy(front, "/whoami/", f"Host: {authority(front.proxy_url)}")
    assert status == 302  # to the portal, to sign in
    rd = quote(f"{front.proxy_url}/whoami/", safe="")
    assert headers["location"] == f"{front.portal_url}/?rd={rd}&rm=GET"


# --- the log ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "request_line",
    [
        pytest.param("GET /public/\x1b[2J\x1b[31mred HTTP/1.1", id="ansi-in-path"),
        pytest.param("G\x1b[31mET /public/ HTTP/1.1", id="ansi-in-method"),
        pytest.param("GET /public/\x1b]0;title\x07 HTTP/1.1", id="osc-title"),
        pytest.param("\x1b[2JGET", id="bad-syntax-echoed-by-http-server"),
    ],
)
def test_the_log_escapes_control_characters(
    front: RunningFront, caplog: pytest.LogCaptureFixture, request_line: str
) -> None:
    with caplog.at_level(logging.INFO, logger="signin"):
        # http.server answers some of these without a status line (as HTTP/0.9).
        exchange(front.proxy_url or "", [request_line, f"Host: {authority(front.proxy_url)}"])
        exchange(front.portal_url, [request_line, f"Host: {authority(front.portal_url)}"])
    messages = [record.getMessage() for record in caplog.records]
    assert any("\\x1b" in message for message in messages), messages
    assert not any("\x1b" in message or "\x07" in message for message in messages), messages
