"""Tests of the development sign-in front in example/signin (an Authelia test double).

Real servers on 127.0.0.1 port 0, real HTTP through http.client. Header values are read
as raw bytes (http.client hands them over as latin-1 str) so UTF-8 is checked exactly.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import select
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
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

from signin import cli  # noqa: E402
from signin.rules import AccessRules, Rule, RulesError, parse_rules  # noqa: E402
from signin.server import RunningFront, start  # noqa: E402
from signin.sessions import SessionStore  # noqa: E402
from signin.urls import cookie_values, is_safe_redirect  # noqa: E402
from signin.users import UsersDatabase, UsersFileError, parse_users, verify_password  # noqa: E402

IDENTITY = ("remote-user", "remote-groups", "remote-name", "remote-email")
HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# --- HTTP helpers ---------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def header(self, name: str) -> str | None:
        values = self.all(name)
        assert len(values) <= 1, f"{name} sent {len(values)} times"
        return values[0] if values else None

    def raw(self, name: str) -> bytes | None:
        """The header value as bytes on the wire."""
        value = self.header(name)
        return None if value is None else value.encode("latin-1")

    def identity(self) -> dict[str, bytes]:
        return {k.lower(): v.encode("latin-1") for k, v in self.headers if k.lower() in IDENTITY}


def call(
    base: str,
    path: str,
    method: str = "GET",
    headers: dict[str, str] | list[tuple[str, str | bytes]] | None = None,
    body: bytes | None = None,
) -> Reply:
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        items = headers.items() if isinstance(headers, dict) else headers or []
        for name, value in items:
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        data = response.read()
        return Reply(response.status, response.getheaders(), data)
    finally:
        conn.close()


def form(**fields: str) -> bytes:
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in fields.items()).encode()


def sign_in(front: RunningFront, username: str, rd: str = "") -> str:
    """Sign in through the form; return the Cookie header value to send afterwards."""
    reply = call(
        front.portal_url,
        "/",
        "POST",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form(username=username, password=f"{username}-password", rd=rd),
    )
    assert reply.status == 303, reply.body
    cookie = reply.header("Set-Cookie")
    assert cookie is not None
    return cookie.split(";", 1)[0]


def forward_auth(
    front: RunningFront, uri: str, cookie: str = "", method: str = "GET", **extra: str
) -> Reply:
    host = urlsplit(front.proxy_url or "http://127.0.0.1:8000").netloc
    headers = {
        "X-Forwarded-Method": method,
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": host,
        "X-Forwarded-Uri": uri,
        "X-Forwarded-For": "127.0.0.9",
        **HTML,
        **extra,
    }
    if cookie:
        headers["Cookie"] = cookie
    return call(front.portal_url, "/api/authz/forward-auth", headers=headers)


def auth_request(front: RunningFront, url: str, cookie: str = "", method: str = "GET") -> Reply:
    headers = {"X-Original-Method": method, "X-Original-URL": url, **HTML}
    if cookie:
        headers["Cookie"] = cookie
    return call(front.portal_url, "/api/authz/auth-request", headers=headers)


# --- users file and servers -----------------------------------------------------------

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(scope="session")
def hashes() -> dict[str, str]:
    names = ("alice", "bob", "jorn", "carol", "dave")
    return {name: CHEAP.hash(f"{name}-password") for name in names}


def demo_users(hashes: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {
        "alice": {
            "displayname": "Alice Admin",
            "password": hashes["alice"],
            "email": "alice@example.com",
            "groups": ["admins", "staff", "editors"],
        },
        "bob": {
            "displayname": "Bob Builder",
            "password": hashes["bob"],
            "email": "bob@example.com",
            "groups": ["editors"],
        },
        "jorn": {
            "displayname": "Jörn Müller",
            "password": hashes["jorn"],
            "emails": ["jorn@example.com", "second@example.com"],
            "groups": ["editors", "Ünïcode Group"],
        },
        "carol": {"displayname": "Carol", "password": hashes["carol"], "groups": []},
        "dave": {
            "displayname": "Dave",
            "password": hashes["dave"],
            "email": "dave@example.com",
            "disabled": True,
        },
    }


def write_users(path: Path, users: dict[str, dict[str, Any]]) -> None:
    text = yaml.safe_dump({"users": users}, allow_unicode=True, sort_keys=False)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


@pytest.fixture
def users_file(tmp_path: Path, hashes: dict[str, str]) -> Path:
    path = tmp_path / "users.yml"
    write_users(path, demo_users(hashes))
    return path


class EchoHandler(BaseHTTPRequestHandler):
    """The upstream application: echoes what it received, exactly, as JSON."""

    protocol_version = "HTTP/1.1"

    def do_any(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        payload = {
            "method": self.command,
            "path": self.path,
            "peer": self.client_address[0],
            "headers": list(self.headers.items()),
            "body": body.decode("latin-1"),
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "first=1; Path=/")
        self.send_header("Set-Cookie", "second=2; Path=/; HttpOnly")
        if self.path == "/chunked":
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            half = len(data) // 2
            for part in (data[:half], data[half:], b""):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_HEAD = do_PUT = do_any

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def front(users_file: Path, upstream: str) -> Iterator[RunningFront]:
    running = start(users_file, portal=("127.0.0.1", 0), proxy=("127.0.0.1", 0), upstream=upstream)
    yield running
    running.stop()


def echoed(reply: Reply) -> dict[str, Any]:
    assert reply.status == 200, reply.body
    data: dict[str, Any] = json.loads(reply.body)
    return data


def echoed_identity(reply: Reply) -> list[tuple[str, bytes]]:
    """Every header the upstream got that a WSGI server would read as an identity header."""
    return [
        (k, v.encode("latin-1"))
        for k, v in echoed(reply)["headers"]
        if k.lower().replace("_", "-") in IDENTITY
    ]


# --- portal: sign-in ------------------------------------------------------------------


def test_health(front: RunningFront) -> None:
    reply = call(front.portal_url, "/api/health")
    assert (reply.status, reply.body) == (200, b"OK")


def test_sign_in_sets_a_safe_cookie_and_redirects_to_rd(front: RunningFront) -> None:
    rd = f"{front.proxy_url}/some/page?x=1"
    reply = call(
        front.portal_url,
        "/",
        "POST",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form(username="alice", password="alice-password", rd=rd, rm="GET"),
    )
    assert reply.status == 303
    assert reply.header("Location") == rd
    cookie = reply.header("Set-Cookie") or ""
    name, _, rest = cookie.partition("=")
    token, *attributes = rest.split("; ")
    assert name == "authelia_session"
    assert len(token) == 43  # 32 random bytes, base64url
    assert {"HttpOnly", "SameSite=Lax", "Path=/"} <= set(attributes)
    landing = call(front.portal_url, "/", headers={"Cookie": f"{name}={token}"})
    assert landing.status == 200
    assert b"Alice Admin" in landing.body


@pytest.mark.parametrize(
    "rd",
    [
        pytest.param("", id="none"),
        pytest.param("http://evil.example/", id="other-host"),
        pytest.param("//evil.example/", id="protocol-relative"),
        pytest.param("http://127.0.0.1@evil.example/", id="userinfo"),
        pytest.param("javascript:alert(1)", id="javascript"),
        pytest.param("/relative", id="relative"),
    ],
)
def test_sign_in_never_redirects_off_site(front: RunningFront, rd: str) -> None:
    reply = call(
        front.portal_url,
        "/",
        "POST",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form(username="bob", password="bob-password", rd=rd),
    )
    assert reply.status == 303
    assert reply.header("Location") == "/"


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("alice", "wrong", id="wrong-password"),
        pytest.param("nobody", "nobody-password", id="unknown-user"),
        pytest.param("dave", "dave-password", id="disabled-user"),
        pytest.param("Alice", "alice-password", id="case-sensitive"),
        pytest.param("alice", "", id="empty-password"),
    ],
)
def test_sign_in_failure_shows_the_form_again(
    front: RunningFront, username: str, password: str
) -> None:
    reply = call(
        front.portal_url,
        "/",
        "POST",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form(username=username, password=password, rd="http://127.0.0.1/x"),
    )
    assert reply.status == 401
    assert reply.header("Set-Cookie") is None
    assert b"Authentication failed" in reply.body
    assert b'name="rd" value="http://127.0.0.1/x"' in reply.body
    assert len(front.front.sessions) == 0


def test_first_factor_json_api(front: RunningFront) -> None:
    rd = f"{front.proxy_url}/x"
    good = json.dumps({"username": "bob", "password": "bob-password", "targetURL": rd}).encode()
    reply = call(
        front.portal_url, "/api/firstfactor", "POST", {"Content-Type": "application/json"}, good
    )
    assert reply.status == 200
    assert json.loads(reply.body) == {"status": "OK", "data": {"redirect": rd}}
    assert (reply.header("Set-Cookie") or "").startswith("authelia_session=")
    bad = json.dumps({"username": "bob", "password": "nope"}).encode()
    reply = call(
        front.portal_url, "/api/firstfactor", "POST", {"Content-Type": "application/json"}, bad
    )
    assert reply.status == 401
    assert json.loads(reply.body)["status"] == "KO"


def test_signed_in_portal_visit_goes_straight_to_a_safe_rd(front: RunningFront) -> None:
    cookie = sign_in(front, "bob")
    rd = f"{front.proxy_url}/back"
    reply = call(front.portal_url, f"/?rd={quote(rd, safe='')}", headers={"Cookie": cookie})
    assert (reply.status, reply.header("Location")) == (302, rd)
    state = call(front.portal_url, "/api/state", headers={"Cookie": cookie})
    assert json.loads(state.body)["data"] == {"username": "bob", "authentication_level": 1}


# --- authz endpoints ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "extra", "status"),
    [
        pytest.param("GET", {}, 302, id="get-html"),
        pytest.param("HEAD", {}, 302, id="head"),
        pytest.param("OPTIONS", {}, 302, id="options"),
        pytest.param("POST", {}, 303, id="post"),
        pytest.param("DELETE", {}, 303, id="delete"),
        pytest.param("GET", {"X-Requested-With": "XMLHttpRequest"}, 401, id="xhr"),
        pytest.param("GET", {"Accept": "application/json"}, 401, id="json-client"),
        pytest.param("GET", {"Accept": ""}, 401, id="no-accept"),
        pytest.param("GET", {"Accept": "*/*"}, 302, id="wildcard-first"),
        pytest.param("GET", {"Accept": "application/json, */*"}, 401, id="wildcard-later"),
    ],
)
def test_forward_auth_unauthenticated(
    front: RunningFront, method: str, extra: dict[str, str], status: int
) -> None:
    reply = forward_auth(front, "/page?a=1&b=%C3%A9", method=method, **extra)
    target = f"{front.proxy_url}/page?a=1&b=%C3%A9"
    assert reply.status == status
    assert reply.header("Location") == (
        f"{front.portal_url}/?rd={quote(target, safe='')}&rm={method}"
    )
    assert reply.identity() == {}


def test_forward_auth_sends_the_four_headers_as_raw_utf8(front: RunningFront) -> None:
    reply = forward_auth(front, "/page", sign_in(front, "jorn"))
    assert reply.status == 200
    assert reply.identity() == {
        "remote-user": b"jorn",
        "remote-groups": "editors,Ünïcode Group".encode(),
        "remote-name": "Jörn Müller".encode(),
        "remote-email": b"jorn@example.com",  # the first of several
    }
    assert [k for k, _ in reply.headers if k.lower() in IDENTITY] == [
        "Remote-User",
        "Remote-Groups",
        "Remote-Name",
        "Remote-Email",
    ]


def test_forward_auth_user_without_email_gets_an_empty_remote_email(front: RunningFront) -> None:
    reply = forward_auth(front, "/page", sign_in(front, "carol"))
    assert reply.status == 200
    assert reply.identity() == {
        "remote-user": b"carol",
        "remote-groups": b"",
        "remote-name": b"Carol",
        "remote-email": b"",
    }


@pytest.mark.parametrize(
    "drop",
    [
        pytest.param("X-Forwarded-Method", id="no-method"),
        pytest.param("X-Forwarded-Host", id="no-host"),
        pytest.param("X-Forwarded-Proto", id="no-proto"),
    ],
)
def test_forward_auth_without_the_original_request_is_401(front: RunningFront, drop: str) -> None:
    headers = {
        "X-Forwarded-Method": "GET",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "127.0.0.1:8000",
        "X-Forwarded-Uri": "/",
        "Cookie": sign_in(front, "alice"),
        **HTML,
    }
    del headers[drop]
    reply = call(front.portal_url, "/api/authz/forward-auth", headers=headers)
    assert (reply.status, reply.header("Location"), reply.identity()) == (401, None, {})


def test_forward_auth_for_a_host_outside_the_allowed_list_is_401(front: RunningFront) -> None:
    cookie = sign_in(front, "alice")
    reply = forward_auth(front, "/", cookie, **{"X-Forwarded-Host": "app.evil.example"})
    assert (reply.status, reply.identity()) == (401, {})


def test_auth_request_contract(front: RunningFront) -> None:
    url = "http://127.0.0.1:8080/admins-only/report"
    anonymous = auth_request(front, url)
    assert anonymous.status == 401  # always 401 for nginx, even for an HTML client
    assert anonymous.header("Location") == (f"{front.portal_url}/?rd={quote(url, safe='')}&rm=GET")
    bob, alice = sign_in(front, "bob"), sign_in(front, "alice")
    assert auth_request(front, url, bob).status == 403
    assert auth_request(front, url, bob).identity() == {}
    granted = auth_request(front, url, alice)
    assert granted.status == 200
    assert granted.raw("Remote-User") == b"alice"
    assert granted.raw("Remote-Groups") == b"admins,staff,editors"
    assert granted.raw("Remote-Name") == b"Alice Admin"
    assert granted.raw("Remote-Email") == b"alice@example.com"
    assert auth_request(front, "http://127.0.0.1:8080/admins-only", bob).status == 403
    assert auth_request(front, "/relative", alice).status == 401


def test_bypass_without_a_session_sends_no_identity(front: RunningFront) -> None:
    for reply in (
        forward_auth(front, "/public/index.html"),
        forward_auth(front, "/static/app.css", method="POST"),
        auth_request(front, "http://127.0.0.1:8080/public/x"),
    ):
        assert reply.status == 200
        assert reply.identity() == {}
        assert reply.header("Location") is None


def test_bypass_with_a_session_sends_identity_like_authelia(front: RunningFront) -> None:
    reply = forward_auth(front, "/public/", sign_in(front, "bob"))
    assert (reply.status, reply.raw("Remote-User")) == (200, b"bob")


def test_bypass_identity_can_be_turned_off(users_file: Path) -> None:
    with start(users_file, portal=("127.0.0.1", 0), identity_on_bypass=False) as running:
        reply = forward_auth(running, "/public/", sign_in(running, "bob"))
        assert (reply.status, reply.identity()) == (200, {})


@pytest.mark.parametrize(
    "uri",
    [
        pytest.param("/public/../admins-only/", id="dot-dot"),
        pytest.param("/public/%2e%2e/admins-only/", id="encoded-dot-dot"),
        pytest.param("/public%2F..%2Fadmins-only/", id="encoded-slash"),
    ],
)
def test_bypass_cannot_be_used_to_reach_a_protected_path(front: RunningFront, uri: str) -> None:
    assert forward_auth(front, uri).status == 302
    assert forward_auth(front, uri, sign_in(front, "bob")).status == 403


# --- users file changes ---------------------------------------------------------------


def test_group_change_is_seen_on_the_next_request(
    front: RunningFront, users_file: Path, hashes: dict[str, str]
) -> None:
    cookie = sign_in(front, "bob")
    assert forward_auth(front, "/admins-only/", cookie).status == 403
    users = demo_users(hashes)
    users["bob"]["groups"] = ["editors", "admins"]
    write_users(users_file, users)
    reply = forward_auth(front, "/admins-only/", cookie)
    assert reply.status == 200
    assert reply.raw("Remote-Groups") == b"editors,admins"


def test_same_size_change_with_the_old_mtime_is_seen(front: RunningFront, users_file: Path) -> None:
    cookie = sign_in(front, "bob")
    stat = users_file.stat()
    text = users_file.read_text(encoding="utf-8")
    changed = text.replace("Bob Builder", "Bob Painter")
    assert len(changed.encode()) == len(text.encode())
    users_file.write_text(changed, encoding="utf-8")
    os.utime(users_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert forward_auth(front, "/", cookie).raw("Remote-Name") == b"Bob Painter"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param("remove", id="removed"),
        pytest.param("disable", id="disabled"),
    ],
)
def test_removed_or_disabled_user_loses_the_session(
    front: RunningFront, users_file: Path, hashes: dict[str, str], change: str
) -> None:
    cookie = sign_in(front, "bob")
    assert forward_auth(front, "/", cookie).status == 200
    users = demo_users(hashes)
    if change == "remove":
        del users["bob"]
    else:
        users["bob"]["disabled"] = True
    write_users(users_file, users)
    assert forward_auth(front, "/", cookie).status == 302
    write_users(users_file, demo_users(hashes))  # back again: the session stays ended
    assert forward_auth(front, "/", cookie).status == 302


def test_malformed_users_file_keeps_the_last_good_version(
    front: RunningFront, users_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cookie = sign_in(front, "alice")
    with caplog.at_level(logging.ERROR, logger="signin.users"):
        users_file.write_text("users: [this is: not, valid", encoding="utf-8")
        reply = forward_auth(front, "/admins-only/", cookie)
        assert forward_auth(front, "/", cookie).status == 200
    assert reply.raw("Remote-User") == b"alice"
    errors = [r for r in caplog.records if r.name == "signin.users"]
    assert len(errors) == 1  # once per broken version, not once per request
    assert "keeping the last good version" in errors[0].getMessage()


# --- logout ---------------------------------------------------------------------------


def test_logout_with_a_safe_rd(front: RunningFront) -> None:
    cookie = sign_in(front, "alice")
    rd = f"{front.proxy_url}/bye"
    reply = call(front.portal_url, f"/logout?rd={quote(rd, safe='')}", headers={"Cookie": cookie})
    assert (reply.status, reply.header("Location")) == (302, rd)
    assert "Max-Age=0" in (reply.header("Set-Cookie") or "")
    assert forward_auth(front, "/", cookie).status == 302


@pytest.mark.parametrize(
    "rd",
    [
        pytest.param("https://evil.example/", id="other-host"),
        pytest.param("//evil.example/", id="protocol-relative"),
        pytest.param("http://localhost@evil.example/", id="userinfo"),
        pytest.param("http://evil.example\\@127.0.0.1/", id="backslash"),
        pytest.param("", id="none"),
    ],
)
def test_logout_with_an_unsafe_rd_stays_on_the_portal(front: RunningFront, rd: str) -> None:
    cookie = sign_in(front, "alice")
    reply = call(
        front.portal_url,
        "/logout",
        "POST",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        form(rd=rd),
    )
    assert (reply.status, reply.header("Location")) == (200, None)
    assert b"signed out" in reply.body
    assert forward_auth(front, "/", cookie).status == 302


# --- reverse proxy --------------------------------------------------------------------

SPOOFED: list[tuple[str, str | bytes]] = [
    ("Remote-User", "admin"),
    ("Remote_User", "admin"),
    ("remote-groups", "admins"),
    ("REMOTE_GROUPS", "admins"),
    ("Remote-Name", "Mallory"),
    ("remote_email", "admin@example.com"),
    ("Remote-Email", "admin@example.com"),
    ("X-Forwarded-For", "203.0.113.7"),
]


def test_proxy_redirects_anonymous_browsers_to_the_portal(front: RunningFront) -> None:
    assert front.proxy_url is not None
    reply = call(front.proxy_url, "/page?q=1", headers=HTML)
    target = f"{front.proxy_url}/page?q=1"
    assert reply.status == 302
    assert reply.header("Location") == f"{front.portal_url}/?rd={quote(target, safe='')}&rm=GET"
    assert call(front.proxy_url, "/page", "POST", HTML, b"x=1").status == 303
    assert call(front.proxy_url, "/page", headers={"Accept": "application/json"}).status == 401


def test_proxy_replaces_spoofed_identity_headers(front: RunningFront) -> None:
    assert front.proxy_url is not None
    cookie = sign_in(front, "jorn")
    reply = call(front.proxy_url, "/page", headers=[("Cookie", cookie), *SPOOFED])
    assert echoed_identity(reply) == [
        ("Remote-User", b"jorn"),
        ("Remote-Groups", "editors,Ünïcode Group".encode()),
        ("Remote-Name", "Jörn Müller".encode()),
        ("Remote-Email", b"jorn@example.com"),
    ]
    headers = dict(echoed(reply)["headers"])
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Proto"] == "http"
    assert headers["Host"] == urlsplit(front.proxy_url).netloc
    assert cookie in headers["Cookie"]


def test_proxy_bypass_strips_identity_and_sets_none(front: RunningFront) -> None:
    assert front.proxy_url is not None
    reply = call(front.proxy_url, "/public/file.txt", headers=SPOOFED)
    assert echoed(reply)["path"] == "/public/file.txt"
    assert echoed_identity(reply) == []


def test_proxy_forbidden_path(front: RunningFront) -> None:
    assert front.proxy_url is not None
    reply = call(front.proxy_url, "/admins-only/", headers={"Cookie": sign_in(front, "bob")})
    assert reply.status == 403
    assert b'"headers"' not in reply.body  # never reached the upstream


def test_proxy_relays_bodies_cookies_and_chunked_responses(front: RunningFront) -> None:
    assert front.proxy_url is not None
    cookie = sign_in(front, "bob")
    body = "näme=välue&x=1".encode()
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    reply = call(front.proxy_url, "/submit?a=b", "POST", headers, body)
    data = echoed(reply)
    assert (data["method"], data["path"]) == ("POST", "/submit?a=b")
    assert data["body"].encode("latin-1") == body
    assert reply.all("Set-Cookie") == ["first=1; Path=/", "second=2; Path=/; HttpOnly"]
    chunked = call(front.proxy_url, "/chunked", headers={"Cookie": cookie})
    assert echoed(chunked)["path"] == "/chunked"
    assert chunked.header("Transfer-Encoding") == "chunked"
    head = call(front.proxy_url, "/x", "HEAD", {"Cookie": cookie})
    assert (head.status, head.body) == (200, b"")


def test_proxy_source_address(users_file: Path, upstream: str) -> None:
    with start(
        users_file,
        portal=("127.0.0.1", 0),
        proxy=("127.0.0.1", 0),
        upstream=upstream,
        source_address="127.0.0.2",
    ) as running:
        assert running.proxy_url is not None
        reply = call(running.proxy_url, "/public/")
        assert echoed(reply)["peer"] == "127.0.0.2"


def test_proxy_with_the_upstream_down_is_502(users_file: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with start(
        users_file, portal=("127.0.0.1", 0), proxy=("127.0.0.1", 0), upstream=dead
    ) as running:
        assert running.proxy_url is not None
        reply = call(running.proxy_url, "/public/")
        assert reply.status == 502
        assert b"Bad Gateway" in reply.body


# --- building blocks ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "policy", "groups"),
    [
        pytest.param("/public/a", "bypass", (), id="public"),
        pytest.param("/static/a.css?v=1", "bypass", (), id="static-with-query"),
        pytest.param("/publicity", "one_factor", (), id="prefix-is-not-a-word"),
        pytest.param("/public/./a", "one_factor", (), id="dot-segment-no-bypass"),
        pytest.param("/admins-only", "one_factor", ("admins",), id="without-slash"),
        pytest.param("/x/../admins-only/", "one_factor", ("admins",), id="dot-dot"),
        pytest.param("/", "one_factor", (), id="default"),
    ],
)
def test_default_rules(path: str, policy: str, groups: tuple[str, ...]) -> None:
    from signin.rules import DEFAULT_RULES

    rule = DEFAULT_RULES.match(path)
    assert (rule.policy, rule.groups) == (policy, groups)


def test_rules_file() -> None:
    rules = parse_rules(
        '{"default_policy": "deny", "rules": [{"path": "/ok/", "policy": "one_factor"}]}'
    )
    assert rules == AccessRules((Rule("/ok/", "one_factor"),), "deny")
    assert rules.match("/other").policy == "deny"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("rules: [{path: x, policy: bypass}]", id="relative-path"),
        pytest.param("rules: [{path: /x, policy: two_factor}]", id="unknown-policy"),
        pytest.param("rules: [{path: /x, policy: one_factor, groups: admins}]", id="str-groups"),
        pytest.param("rules: [{path: /x, policy: bypass, groups: [a]}]", id="bypass-groups"),
        pytest.param("default_policy: bypass", id="bypass-default"),
        pytest.param("rules: [", id="not-yaml"),
    ],
)
def test_bad_rules_files(text: str) -> None:
    with pytest.raises(RulesError):
        parse_rules(text)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("users: {alice: {displayname: A}}", id="no-password"),
        pytest.param("users: {alice: {password: x, groups: admins}}", id="str-groups"),
        pytest.param("users: {alice: {password: x, disabled: 'no'}}", id="str-disabled"),
        pytest.param('users: {alice: {password: x, displayname: "A\\nB"}}', id="newline"),
        pytest.param("users: {alice: {password: x, pasword: y}}", id="unknown-key"),
        pytest.param("people: {}", id="no-users"),
    ],
)
def test_bad_users_files(text: str) -> None:
    with pytest.raises(UsersFileError):
        parse_users(text)


def test_unreadable_users_file_at_start_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UsersFileError):
        UsersDatabase(tmp_path / "missing.yml")


def test_the_shipped_demo_users_file() -> None:
    db = UsersDatabase(EXAMPLE / "users.yml")
    alice, jorn, carol, dave = (db.get(n) for n in ("alice", "jorn", "carol", "dave"))
    assert alice is not None
    assert alice.groups == ("admins", "staff", "editors")
    assert alice.password.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert jorn is not None
    assert jorn.displayname == "Jörn Müller"
    assert carol is not None
    assert carol.email == ""
    assert dave is not None
    assert dave.disabled
    assert verify_password(db.get("bob"), "bob-password")


def test_sessions_expire() -> None:
    now = [0.0]
    store = SessionStore(expiration=100, inactivity=10, clock=lambda: now[0])
    token = store.create("alice")
    now[0] = 9
    assert store.get(token) is not None
    now[0] = 18  # 9 s after the last activity
    assert store.get(token) is not None
    now[0] = 29
    assert store.get(token) is None  # idle too long
    token = store.create("alice")  # at 29 s
    for step in range(1, 12):  # active every 9 s until 128 s
        now[0] = 29 + step * 9
        assert store.get(token) is not None
    now[0] = 29 + 100  # 1 s after the last activity, but 100 s after sign-in
    assert store.get(token) is None
    assert store.get("not a token") is None


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("http://127.0.0.1:8000/x", True),
        ("https://localhost/", True),
        ("http://[::1]:9/", True),
        ("http://LOCALHOST/", True),
        ("http://127.0.0.1:99999/", False),
        ("ftp://127.0.0.1/", False),
        ("http://127.0.0.1 /", False),
        ("http:/127.0.0.1/", False),
    ],
)
def test_is_safe_redirect(url: str, safe: bool) -> None:
    assert is_safe_redirect(url, ("127.0.0.1", "localhost", "::1")) is safe


def test_cookie_values() -> None:
    headers = ['a=1; authelia_session=x; b="2"', "authelia_session=y"]
    assert cookie_values(headers, "authelia_session") == ["x", "y"]
    assert cookie_values(headers, "b") == ["2"]


# --- command line ---------------------------------------------------------------------


def test_hash_password_command(capsys: pytest.CaptureFixture[str]) -> None:
    cheap = ["--memory", "8", "--iterations", "1", "--parallelism", "1"]
    assert cli.main(["hash-password", *cheap, "s3cret"]) == 0
    digest = capsys.readouterr().out.strip()
    assert digest.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert PasswordHasher().verify(digest, "s3cret")
    assert cli.main(["hash-password", "--memory", "8", "s3cret"]) == 2  # m < 8 * p
    assert "memory" in capsys.readouterr().err.lower()


def test_serve_command_runs_until_sigterm_and_logs_no_secrets(users_file: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE)}
    args = ["serve", "--users", str(users_file), "--portal", "127.0.0.1:0"]
    with subprocess.Popen(
        [sys.executable, "-m", "signin", *args],
        env=env,
        cwd=EXAMPLE.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            ready, _, _ = select.select([process.stdout], [], [], 10)
            assert ready, "the server printed nothing within 10 s"
            first = process.stdout.readline()  # printed and flushed once listening
            assert first.startswith("portal: http://127.0.0.1:"), first
            url = first.split()[1].rstrip("/")
            assert call(url, "/api/health").body == b"OK"
            reply = call(
                url,
                "/?password=in-the-query",
                "POST",
                {"Content-Type": "application/x-www-form-urlencoded"},
                form(username="bob", password="bob-password"),
            )
            token = (reply.header("Set-Cookie") or "=;").split("=", 1)[1].split(";")[0]
            assert len(token) == 43
            process.terminate()
            out, err = process.communicate(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "signed in" in err
    assert "bob-password" not in err
    assert "in-the-query" not in err
    assert token not in err


def test_serve_refuses_non_loopback(users_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--users", str(users_file), "--portal", "0.0.0.0:0"])
    assert "non-loopback" in capsys.readouterr().err
