"""Tests of remote_identity.wsgi: the middleware through real WSGI requests (WebTest)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest
import webtest  # type: ignore[import-untyped]
from webob import Request
from werkzeug.middleware.proxy_fix import ProxyFix

from remote_identity import (
    ENVIRON_KEY,
    PRESETS,
    ConfigurationError,
    Identity,
    IdentityGate,
    ParsingPolicy,
)
from remote_identity.events import SecurityLog
from remote_identity.gate import ORIG_KEY, PROXY_FIX_ORIG, REDACTED, VERDICT_KEY
from remote_identity.wsgi import RemoteIdentityMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PROXY = "10.0.5.2"
ATTACKER = "203.0.113.66"
SECRET = "s3cret-value-for-tests-0123456789"
SECRET_KEY = "HTTP_X_PROXY_SECRET"
AUTHELIA_KEYS = ("HTTP_REMOTE_USER", "HTTP_REMOTE_NAME", "HTTP_REMOTE_EMAIL", "HTTP_REMOTE_GROUPS")
ALL_NAMES = ("Remote-User", "Remote-Name", "Remote-Email", "Remote-Groups")
# Distinctive values ("plugh"): none of them may ever appear in a log record or a response body.
HEADERS = {
    "Remote-User": "alice",
    "Remote-Name": "Alice Plugh-Name",
    "Remote-Email": "alice@plugh.example",
    "Remote-Groups": "plugh-admins,plugh-staff",
}
ALICE = Identity(
    "alice", "Alice Plugh-Name", "alice@plugh.example", ("plugh-admins", "plugh-staff")
)


class Recorder:
    """A WSGI application that remembers the environ of every request it served."""

    def __init__(self) -> None:
        self.environs: list[dict[str, Any]] = []

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.environs.append(dict(environ))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"served"]

    @property
    def last(self) -> dict[str, Any]:
        return self.environs[-1]


def client(
    peer: str | None = PROXY,
    *,
    wrap: Any = None,
    extra_environ: dict[str, str] | None = None,
    **options: Any,
) -> tuple[webtest.TestApp, Recorder, RemoteIdentityMiddleware]:
    recorder = Recorder()
    options.setdefault("trusted_proxies", [PROXY])
    middleware = RemoteIdentityMiddleware(recorder, **options)
    app: Any = middleware if wrap is None else wrap(middleware)
    environ = dict(extra_environ or {})
    if peer is not None:
        environ["REMOTE_ADDR"] = peer
    return webtest.TestApp(app, extra_environ=environ), recorder, middleware


@pytest.fixture
def security(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger="remote_identity")
    return caplog


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "remote_identity.security"]


# --- trusted peers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "trusted_proxies"),
    [
        pytest.param("10.0.5.2", ["10.0.5.2"], id="ipv4"),
        pytest.param("10.0.5.77", ["10.0.5.0/24"], id="ipv4-cidr"),
        pytest.param("::1", ["::1"], id="ipv6"),
        pytest.param("fd00::5", ["fd00::/64"], id="ipv6-cidr"),
        pytest.param("::ffff:10.0.5.2", ["10.0.5.2"], id="ipv4-mapped-ipv6"),
        pytest.param("", ["unix"], id="unix-empty"),
        pytest.param(None, ["unix"], id="unix-missing"),
        pytest.param("/run/app.sock", ["unix"], id="unix-path"),
    ],
)
def test_trusted_peer_gets_the_identity(
    security: pytest.LogCaptureFixture, peer: str | None, trusted_proxies: list[str]
) -> None:
    app, recorder, _ = client(peer, trusted_proxies=trusted_proxies)
    response = app.get("/", headers=HEADERS)
    assert response.status_int == 200
    assert response.text == "served"
    environ = recorder.last
    assert environ[ENVIRON_KEY] == ALICE
    verdict = environ[VERDICT_KEY]
    assert (verdict.outcome, verdict.trusted, verdict.stripped) == ("identity", True, ())
    assert verdict.identity is environ[ENVIRON_KEY]
    assert all(key in environ for key in AUTHELIA_KEYS)
    assert ORIG_KEY not in environ
    assert security.records == []


def test_trusted_peer_without_headers_is_anonymous() -> None:
    app, recorder, _ = client()
    assert app.get("/").status_int == 200
    assert recorder.last[ENVIRON_KEY] is None
    assert recorder.last[VERDICT_KEY].outcome == "anonymous"


def test_non_ascii_identity_through_the_server() -> None:
    app, recorder, _ = client()
    wire = {
        "Remote-User": "jörn".encode().decode("latin-1"),
        "Remote-Name": "Jörn Müller".encode().decode("latin-1"),
        "Remote-Groups": "Ärzte,渡辺".encode().decode("latin-1"),
    }
    app.get("/", headers=wire)
    assert recorder.last[ENVIRON_KEY] == Identity("jörn", "Jörn Müller", None, ("Ärzte", "渡辺"))


# --- untrusted peers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "trusted_proxies"),
    [
        pytest.param(ATTACKER, [PROXY], id="ipv4"),
        pytest.param("10.0.5.3", [PROXY], id="ipv4-neighbour"),
        pytest.param("2001:db8::66", ["::1", PROXY], id="ipv6"),
        pytest.param("::ffff:203.0.113.66", ["10.0.0.0/8"], id="ipv4-mapped-ipv6"),
        pytest.param("", [PROXY], id="unix-empty"),
        pytest.param(None, [PROXY], id="unix-missing"),
        pytest.param("/run/app.sock", [PROXY], id="unix-path"),
        pytest.param(PROXY, [], id="nobody-trusted"),
        pytest.param("127.0.0.1", ["unix"], id="tcp-with-only-unix-trusted"),
    ],
)
def test_untrusted_peer_is_stripped(
    security: pytest.LogCaptureFixture, peer: str | None, trusted_proxies: list[str]
) -> None:
    app, recorder, _ = client(peer, trusted_proxies=trusted_proxies)
    response = app.get("/", headers=HEADERS)
    assert response.status_int == 200
    environ = recorder.last
    assert environ[ENVIRON_KEY] is None
    assert all(key not in environ for key in AUTHELIA_KEYS)
    assert environ[ORIG_KEY] == {
        "HTTP_REMOTE_USER": HEADERS["Remote-User"],
        "HTTP_REMOTE_NAME": HEADERS["Remote-Name"],
        "HTTP_REMOTE_EMAIL": HEADERS["Remote-Email"],
        "HTTP_REMOTE_GROUPS": HEADERS["Remote-Groups"],
    }
    verdict = environ[VERDICT_KEY]
    assert (verdict.outcome, verdict.trusted, verdict.stripped) == ("anonymous", False, ALL_NAMES)
    assert verdict.error.reason == "untrusted_peer"
    records = warnings_of(security)
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert str(peer) in message
    assert all(name in message for name in ALL_NAMES)
    assert record.headers == ALL_NAMES  # type: ignore[attr-defined]
    assert record.peer == peer  # type: ignore[attr-defined]
    assert "plugh" not in security.text.lower()
    assert "alice" not in security.text


def test_spoofing_is_counted_every_time_and_logged_once_per_interval(
    security: pytest.LogCaptureFixture,
) -> None:
    app, recorder, middleware = client(ATTACKER)
    now = [100.0]
    middleware.gate.events = SecurityLog(clock=lambda: now[0])
    for _ in range(3):
        app.get("/", headers={"Remote-User": "admin"})
    assert len(recorder.environs) == 3
    assert all(environ[ENVIRON_KEY] is None for environ in recorder.environs)
    assert len(warnings_of(security)) == 1
    assert middleware.gate.refusals == {"untrusted_peer": 3}
    now[0] += 10.0
    app.get("/", headers={"Remote-User": "admin"})
    records = warnings_of(security)
    assert len(records) == 2
    assert records[1].suppressed == 2  # type: ignore[attr-defined]
    assert records[1].getMessage().endswith("(2 similar records suppressed)")
    assert middleware.gate.refusals == {"untrusted_peer": 4}


def test_untrusted_peer_without_identity_headers_is_quiet(
    security: pytest.LogCaptureFixture,
) -> None:
    app, recorder, _ = client(ATTACKER)
    app.get("/", headers={"Accept": "text/plain"})
    assert recorder.last[ENVIRON_KEY] is None
    assert recorder.last[VERDICT_KEY].stripped == ()
    assert ORIG_KEY not in recorder.last
    assert security.records == []


def test_untrusted_other_headers_pass_through() -> None:
    app, recorder, _ = client(ATTACKER)
    app.get("/", headers={"Remote-User": "admin", "X-Request-Id": "42"})
    assert recorder.last["HTTP_X_REQUEST_ID"] == "42"


def test_underscore_spelling_is_stripped_too() -> None:
    # WebOb, like granian, maps "Remote_User" onto HTTP_REMOTE_USER.
    app, recorder, _ = client(ATTACKER)
    app.get("/", headers={"Remote_User": "admin"})
    assert "HTTP_REMOTE_USER" not in recorder.last
    assert recorder.last[ORIG_KEY] == {"HTTP_REMOTE_USER": "admin"}
    assert recorder.last[VERDICT_KEY].stripped == ("Remote-User",)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_header_of_every_preset_is_stripped(name: str) -> None:
    scheme = PRESETS[name]
    app, recorder, _ = client(ATTACKER, scheme=name)
    headers = {header: f"forged-{n}" for n, header in enumerate(scheme.headers)}
    app.get("/", headers=headers)
    environ = recorder.last
    assert environ[VERDICT_KEY].stripped == scheme.headers
    assert all(key not in environ for key in scheme.environ_keys)
    assert environ[ORIG_KEY] == {key: f"forged-{n}" for n, key in enumerate(scheme.environ_keys)}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Remote-User": "admin"}, id="user"),
        pytest.param({"Remote-Groups": "admins"}, id="groups-only"),
        pytest.param(HEADERS, id="all"),
    ],
)
def test_on_untrusted_reject_answers_403(
    security: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    app, recorder, _ = client(ATTACKER, on_untrusted="reject")
    response = app.get("/", headers=headers, status=403)
    assert response.content_type == "text/plain"
    assert response.headers["Cache-Control"] == "no-store"
    assert "untrusted_peer" in response.text
    assert next(iter(headers)) in response.text
    assert all(value not in response.text for value in headers.values())
    assert recorder.environs == []
    assert len(warnings_of(security)) == 1


def test_on_untrusted_reject_serves_requests_without_identity_headers() -> None:
    app, recorder, _ = client(ATTACKER, on_untrusted="reject")
    assert app.get("/").status_int == 200
    assert recorder.last[ENVIRON_KEY] is None


# --- invalid identities from a trusted peer ---------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "headers", "reason", "header"),
    [
        pytest.param(
            "authelia", {"Remote-User": "alice,plugh"}, "multiple_values", "Remote-User", id="comma"
        ),
        pytest.param(
            "authelia",
            {"Remote-User": "alice", "Remote-Name": "Al\x1bplugh"},
            "control_character",
            "Remote-Name",
            id="control",
        ),
        pytest.param(
            "authelia",
            {"Remote-User": "alice", "Remote-Groups": "plugh,\xff"},
            "not_utf8",
            "Remote-Groups",
            id="not-utf8",
        ),
        pytest.param(
            "authelia", {"Remote-User": "plugh" * 31}, "too_long", "Remote-User", id="too-long"
        ),
        pytest.param(
            "authelia",
            {"Remote-User": "ᴬplugh".encode().decode("latin-1")},
            "compatibility_character",
            "Remote-User",
            id="compatibility",
        ),
        pytest.param(
            "google-iap",
            {"X-Goog-Authenticated-User-Email": "plugh@example.com"},
            "missing_prefix",
            "X-Goog-Authenticated-User-Email",
            id="missing-prefix",
        ),
    ],
)
def test_invalid_identity_answers_400(
    security: pytest.LogCaptureFixture,
    scheme: str,
    headers: dict[str, str],
    reason: str,
    header: str,
) -> None:
    app, recorder, _ = client(scheme=scheme)
    response = app.get("/", headers=headers, status=400)
    assert response.content_type == "text/plain"
    assert response.charset == "utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.text.startswith(f"Identity refused: {reason} ({header}); expected ")
    assert "plugh" not in response.text
    assert recorder.environs == []
    records = warnings_of(security)
    assert len(records) == 1
    assert records[0].reason == reason  # type: ignore[attr-defined]
    assert records[0].peer == PROXY  # type: ignore[attr-defined]
    assert "plugh" not in security.text


def test_invalid_email_is_dropped_not_rejected(security: pytest.LogCaptureFixture) -> None:
    app, recorder, _ = client()
    app.get("/", headers={"Remote-User": "alice", "Remote-Email": "not-an-address"})
    assert recorder.last[ENVIRON_KEY] == Identity("alice")
    records = [r for r in security.records if r.name == "remote_identity.parsing"]
    assert [r.reason for r in records] == ["invalid_email"]  # type: ignore[attr-defined]
    assert "not-an-address" not in security.text


def test_invalid_email_rejected_by_policy() -> None:
    app, recorder, _ = client(policy=ParsingPolicy(invalid_email="reject"))
    response = app.get(
        "/", headers={"Remote-User": "alice", "Remote-Email": "not-an-address"}, status=400
    )
    assert "invalid_email (Remote-Email)" in response.text
    assert recorder.environs == []


def test_head_request_rejected_without_body() -> None:
    app, recorder, _ = client()
    response = app.head("/", headers={"Remote-User": "a,b"}, status=400)
    assert response.body == b""
    assert recorder.environs == []


def test_on_invalid_anonymous_strips(security: pytest.LogCaptureFixture) -> None:
    app, recorder, _ = client(on_invalid="anonymous")
    headers = {**HEADERS, "Remote-User": "alice,mallory"}
    response = app.get("/", headers=headers)
    assert response.status_int == 200
    environ = recorder.last
    assert environ[ENVIRON_KEY] is None
    assert all(key not in environ for key in AUTHELIA_KEYS)
    assert environ[ORIG_KEY]["HTTP_REMOTE_USER"] == "alice,mallory"
    verdict = environ[VERDICT_KEY]
    assert (verdict.outcome, verdict.trusted, verdict.stripped) == ("anonymous", True, ALL_NAMES)
    assert verdict.error.reason == "multiple_values"
    assert len(warnings_of(security)) == 1
    assert "mallory" not in security.text


# --- the peer: ProxyFix and X-Forwarded-For ---------------------------------------------


CLIENT = "198.51.100.7"

# (name, peer, X-Forwarded-For, trusted with 0 / 1 / 2+ ProxyFix layers outside, reason)
PEER_SCENARIOS = [
    ("attacker-claims-proxy", ATTACKER, PROXY, (False, False, False)),
    ("attacker-claims-proxy-twice", ATTACKER, f"{PROXY}, {PROXY}, {PROXY}", (False,) * 3),
    ("attacker-chain", ATTACKER, f"{CLIENT}, {PROXY}", (False, False, False)),
    ("attacker-quoted-proxy", ATTACKER, f'"{PROXY}"', (False, False, False)),
    ("attacker-mapped-proxy", ATTACKER, f"::ffff:{PROXY}", (False, False, False)),
    ("proxy-with-remote-client", PROXY, CLIENT, (True, True, False)),
    ("proxy-with-client-on-its-host", PROXY, PROXY, (True, False, False)),
    ("proxy-without-xff", PROXY, None, (True, True, True)),
]


def _stacks() -> list[Any]:
    params = []
    for outside in range(4):
        for inside in range(4 - outside):
            for x_for in (1, 2):
                for name, peer, forwarded, trusted in PEER_SCENARIOS:
                    # A layer rewrites REMOTE_ADDR only when X-Forwarded-For has x_for entries.
                    # The gate cannot see whether it did: a saved peer that is also in
                    # X-Forwarded-For is ambiguous either way (the client on the proxy's host).
                    rewrites = forwarded is not None and len(forwarded.split(",")) >= x_for
                    saved_in_xff = forwarded is not None and peer in forwarded
                    expected = trusted[min(outside, 2) if rewrites or saved_in_xff else 0]
                    params.append(
                        pytest.param(
                            outside,
                            inside,
                            x_for,
                            peer,
                            forwarded,
                            expected,
                            id=f"out{outside}-in{inside}-x_for{x_for}-{name}",
                        )
                    )
    return params


@pytest.mark.parametrize(("outside", "inside", "x_for", "peer", "forwarded", "trusted"), _stacks())
def test_proxy_fix_layers_never_let_x_forwarded_for_decide(
    outside: int,
    inside: int,
    x_for: int,
    peer: str,
    forwarded: str | None,
    trusted: bool,
) -> None:
    """Real Werkzeug ProxyFix layers, 0 to 3, outside and inside the middleware.

    Each layer overwrites ``werkzeug.proxy_fix.orig`` with what it saw: with two or more
    layers outside, the saved peer is the outer layer's rewrite, taken from the client's
    X-Forwarded-For. A client's X-Forwarded-For must never make it trusted.
    """
    recorder = Recorder()
    inner: Any = recorder
    for _ in range(inside):
        inner = ProxyFix(inner, x_for=x_for)
    middleware = RemoteIdentityMiddleware(inner, trusted_proxies=[PROXY])
    app: Any = middleware
    for _ in range(outside):
        app = ProxyFix(app, x_for=x_for)
    headers = {**HEADERS, "Remote-User": "admin"}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    webtest.TestApp(app, extra_environ={"REMOTE_ADDR": peer}).get("/", headers=headers)
    verdict = recorder.last[VERDICT_KEY]
    assert verdict.trusted is trusted
    admin = dataclasses.replace(ALICE, username="admin")
    assert recorder.last[ENVIRON_KEY] == (admin if trusted else None)
    if not trusted:
        assert "HTTP_REMOTE_USER" not in recorder.last
        assert verdict.error is not None
        assert verdict.error.reason in ("untrusted_peer", "ambiguous_peer")
        # With two layers or more outside, the saved peer came from X-Forwarded-For.
        if outside >= 2 and forwarded is not None and len(forwarded.split(",")) >= x_for:
            assert verdict.error.reason == "ambiguous_peer"


def test_two_proxy_fix_layers_outside_are_refused_and_logged(
    security: pytest.LogCaptureFixture,
) -> None:
    recorder = Recorder()
    app = ProxyFix(ProxyFix(RemoteIdentityMiddleware(recorder, trusted_proxies=[PROXY])))
    test_app = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": ATTACKER})
    test_app.get("/", headers={"Remote-User": "admin", "X-Forwarded-For": PROXY})
    environ = recorder.last
    # The takeover: the inner layer saved the outer layer's rewrite as the original peer.
    assert environ[PROXY_FIX_ORIG]["REMOTE_ADDR"] == PROXY
    assert environ[ENVIRON_KEY] is None
    assert environ[VERDICT_KEY].error.reason == "ambiguous_peer"
    (record,) = warnings_of(security)
    assert record.reason == "ambiguous_peer"  # type: ignore[attr-defined]
    assert record.peer == PROXY  # type: ignore[attr-defined]


def test_proxy_fix_on_a_unix_socket() -> None:
    # The server set no REMOTE_ADDR: ProxyFix saves None, which is a Unix-socket peer.
    app, recorder, _ = client(None, wrap=ProxyFix, trusted_proxies=["unix"])
    app.get("/", headers={**HEADERS, "X-Forwarded-For": CLIENT})
    assert recorder.last[PROXY_FIX_ORIG]["REMOTE_ADDR"] is None
    assert recorder.last["REMOTE_ADDR"] == CLIENT
    assert recorder.last[ENVIRON_KEY] == ALICE


# --- shared secret ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("peer", "secret", "on_untrusted", "status", "identity", "reason"),
    [
        pytest.param(PROXY, SECRET, "strip", 200, ALICE, None, id="correct"),
        pytest.param(PROXY, "wrong-" + SECRET, "strip", 200, None, "bad_secret", id="wrong"),
        pytest.param(PROXY, None, "strip", 200, None, "bad_secret", id="missing"),
        pytest.param(PROXY, "wrong-" + SECRET, "reject", 403, None, "bad_secret", id="wrong-403"),
        pytest.param(PROXY, None, "reject", 403, None, "bad_secret", id="missing-403"),
        pytest.param(ATTACKER, SECRET, "strip", 200, None, "untrusted_peer", id="untrusted"),
        pytest.param(ATTACKER, SECRET, "reject", 403, None, "untrusted_peer", id="untrusted-403"),
    ],
)
def test_shared_secret(
    security: pytest.LogCaptureFixture,
    peer: str,
    secret: str | None,
    on_untrusted: str,
    status: int,
    identity: Identity | None,
    reason: str | None,
) -> None:
    app, recorder, _ = client(
        peer,
        shared_secret_header="X-Proxy-Secret",
        shared_secret=SECRET,
        on_untrusted=on_untrusted,
    )
    headers = dict(HEADERS)
    if secret is not None:
        headers["X-Proxy-Secret"] = secret
    response = app.get("/", headers=headers, status=status)
    assert SECRET not in response.text
    assert SECRET not in security.text
    if status == 403:
        assert recorder.environs == []
        assert f"Identity refused: {reason} " in response.text
        return
    environ = recorder.last
    assert SECRET_KEY not in environ
    assert environ[ENVIRON_KEY] == identity
    verdict = environ[VERDICT_KEY]
    assert (verdict.error.reason if verdict.error else None) == reason
    orig = environ.get(ORIG_KEY, {})
    assert orig.get(SECRET_KEY) == (None if secret is None else REDACTED)
    assert SECRET not in repr(orig)
    if reason is None:
        assert security.records == []
    else:
        assert [r.reason for r in warnings_of(security)] == [reason]  # type: ignore[attr-defined]


def test_shared_secret_removed_even_without_identity_headers() -> None:
    app, recorder, _ = client(shared_secret_header="X-Proxy-Secret", shared_secret=SECRET)
    app.get("/", headers={"X-Proxy-Secret": SECRET})
    assert SECRET_KEY not in recorder.last
    assert recorder.last[ORIG_KEY] == {SECRET_KEY: REDACTED}
    assert recorder.last[VERDICT_KEY].outcome == "anonymous"
    assert recorder.last[VERDICT_KEY].trusted is True


# --- the server check -------------------------------------------------------------------


@pytest.mark.parametrize(
    "software",
    [
        pytest.param("granian", id="plain"),
        pytest.param("granian/2.8.0", id="versioned"),
        pytest.param("Granian", id="capitalized"),
    ],
)
def test_granian_warned_once(security: pytest.LogCaptureFixture, software: str) -> None:
    app, recorder, _ = client(extra_environ={"SERVER_SOFTWARE": software})
    for _ in range(3):
        app.get("/", headers=HEADERS)
    assert len(recorder.environs) == 3
    assert recorder.last[ENVIRON_KEY] == ALICE
    records = warnings_of(security)
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.WARNING
    assert record.reason == "underscore_header"  # type: ignore[attr-defined]
    assert record.server == software  # type: ignore[attr-defined]
    message = record.getMessage()
    assert message.startswith(f"{software} maps a client's 'Remote_User' header onto")
    assert "drop header names containing '_'" in message


@pytest.mark.parametrize(
    "extra_environ",
    [
        pytest.param({"SERVER_SOFTWARE": "gunicorn/23.0.0"}, id="gunicorn"),
        pytest.param({"SERVER_SOFTWARE": "waitress"}, id="waitress"),
        pytest.param({}, id="missing"),
    ],
)
def test_other_servers_not_warned(
    security: pytest.LogCaptureFixture, extra_environ: dict[str, str]
) -> None:
    app, recorder, middleware = client(extra_environ=extra_environ)
    app.get("/", headers=HEADERS)
    assert recorder.last[ENVIRON_KEY] == ALICE
    assert security.records == []
    assert middleware.gate._server_checked is True


def test_server_checked_only_on_the_first_request(security: pytest.LogCaptureFixture) -> None:
    app, recorder, _ = client()
    app.get("/", extra_environ={"SERVER_SOFTWARE": "gunicorn/23.0.0"})
    app.get("/", extra_environ={"SERVER_SOFTWARE": "granian"})
    assert len(recorder.environs) == 2
    assert security.records == []


def test_non_string_server_software(security: pytest.LogCaptureFixture) -> None:
    middleware = RemoteIdentityMiddleware(Recorder(), trusted_proxies=[PROXY])
    environ: dict[str, Any] = {"REMOTE_ADDR": PROXY, "SERVER_SOFTWARE": None}
    request = Request.blank("/", environ=environ)
    response = request.get_response(middleware)
    assert response.status_int == 200
    assert security.records == []


# --- the middleware object --------------------------------------------------------------


def test_parse_cache_across_requests() -> None:
    app, recorder, _ = client()
    app.get("/", headers=HEADERS)
    app.get("/", headers=HEADERS)
    first, second = (environ[ENVIRON_KEY] for environ in recorder.environs)
    assert first == ALICE
    assert second is first


def test_default_trusts_nobody() -> None:
    recorder = Recorder()
    middleware = RemoteIdentityMiddleware(recorder)
    response = Request.blank("/", remote_addr="127.0.0.1", headers=HEADERS).get_response(middleware)
    assert response.status_int == 200
    assert recorder.last[ENVIRON_KEY] is None
    assert recorder.last[VERDICT_KEY].stripped == ALL_NAMES
    assert middleware.gate.trusted_proxies.entries == ()


def test_options_reach_the_gate() -> None:
    policy = ParsingPolicy(username_case="lower")
    middleware = RemoteIdentityMiddleware(
        Recorder(),
        trusted_proxies=["unix"],
        scheme="authentik",
        policy=policy,
        on_untrusted="reject",
        on_invalid="anonymous",
        shared_secret_header="X-Proxy-Secret",
        shared_secret=SECRET,
    )
    gate = middleware.gate
    assert isinstance(gate, IdentityGate)
    assert gate.scheme is PRESETS["authentik"]
    assert gate.policy is policy
    assert (gate.on_untrusted, gate.on_invalid) == ("reject", "anonymous")
    assert gate.shared_secret_header == "X-Proxy-Secret"
    assert gate.trusted_proxies.is_trusted(None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param({"trusted_proxies": "10.0.5.2"}, "not the string '10.0.5.2'", id="string"),
        pytest.param({"trusted_proxies": ["10.0.5.2/8"]}, "host bits set", id="host-bits"),
        pytest.param({"scheme": "authelia4"}, "unknown header scheme", id="scheme"),
        pytest.param({"on_untrusted": "ignore"}, "on_untrusted", id="on-untrusted"),
        pytest.param({"shared_secret": SECRET}, "set together", id="secret-alone"),
    ],
)
def test_configuration_errors_at_construction(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        RemoteIdentityMiddleware(Recorder(), **kwargs)


def test_application_response_is_passed_through() -> None:
    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response("201 Created", [("Content-Type", "text/plain"), ("X-App", "1")])
        return [b"made ", b"it"]

    wrapped = RemoteIdentityMiddleware(app, trusted_proxies=[PROXY])
    response = webtest.TestApp(wrapped, extra_environ={"REMOTE_ADDR": PROXY}).get("/", status=201)
    assert response.headers["X-App"] == "1"
    assert response.body == b"made it"
