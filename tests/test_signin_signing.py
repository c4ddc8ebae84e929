"""Tests of example/signin/signing.py: the sign-in front's Pomerium-like signing mode.

Its tokens must verify with the library's own Pomerium preset, pointed at the JWKS the
front serves on loopback.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import pytest

from remote_identity.assertions import AssertionVerifier, InvalidAssertion, pomerium
from tests.test_signin_front import (  # noqa: F401 (fixtures)
    Reply,
    auth_request,
    call,
    echoed,
    forward_auth,
    hashes,
    sign_in,
    upstream,
    users_file,
)

EXAMPLE = Path(__file__).resolve().parent.parent / "example"
if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))

from signin import cli  # noqa: E402
from signin.server import RunningFront, start  # noqa: E402
from signin.signing import HEADER, JWKS_PATH, AssertionSigner, SigningKeyError  # noqa: E402


@pytest.fixture
def signing_front(users_file: Path, upstream: str) -> Iterator[RunningFront]:  # noqa: F811
    running = start(
        users_file,
        portal=("127.0.0.1", 0),
        proxy=("127.0.0.1", 0),
        upstream=upstream,
        sign_assertions=True,
    )
    yield running
    running.stop()


def assertions(reply: Reply) -> list[str]:
    return [v for k, v in echoed(reply)["headers"] if k.lower() == HEADER.lower()]


def test_tokens_verify_with_the_pomerium_preset(signing_front: RunningFront) -> None:
    assert signing_front.proxy_url is not None
    verifier = pomerium(host="127.0.0.1", jwks_url=signing_front.proxy_url + JWKS_PATH)
    cookie = sign_in(signing_front, "jorn")
    [token] = assertions(call(signing_front.proxy_url, "/page", headers={"Cookie": cookie}))
    assertion = verifier.verify(token)
    assert (assertion.username, assertion.name, assertion.email, assertion.groups) == (
        "jorn",
        "Jörn Müller",
        "jorn@example.com",
        ("editors", "Ünïcode Group"),
    )
    claims = assertion.claims
    assert (claims["iss"], claims["aud"], claims["user"]) == ("127.0.0.1", "127.0.0.1", "jorn")
    assert claims["exp"] - claims["iat"] == 60
    assert abs(claims["iat"] - time.time()) < 30
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    assert header["kid"]


@pytest.fixture
def localhost_front(users_file: Path, upstream: str) -> Iterator[RunningFront]:  # noqa: F811
    """A signing front whose sign-in cookie is localhost's: its proxy serves that name."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = start(
        users_file,
        portal=("127.0.0.1", port),
        proxy=("127.0.0.1", 0),
        upstream=upstream,
        sign_assertions=True,
        public_url=f"http://localhost:{port}",
    )
    yield running
    running.stop()


def test_the_route_host_is_the_audience(localhost_front: RunningFront) -> None:
    signing_front = localhost_front
    assert signing_front.proxy_url is not None
    port = urlsplit(signing_front.proxy_url).port
    cookie = sign_in(signing_front, "alice")
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", "/page", skip_host=True)
        conn.putheader("Host", f"LocalHost:{port}")
        conn.putheader("Cookie", cookie)
        conn.endheaders()
        response = conn.getresponse()
        reply = Reply(response.status, response.getheaders(), response.read())
    finally:
        conn.close()
    [token] = assertions(reply)
    jwks_url = signing_front.proxy_url + JWKS_PATH
    assert pomerium(host="localhost", jwks_url=jwks_url).verify(token).username == "alice"
    with pytest.raises(InvalidAssertion) as info:
        pomerium(host="127.0.0.1", jwks_url=jwks_url).verify(token)
    assert info.value.reason == "assertion_issuer"  # iss and aud are both the route host


def test_client_copies_are_removed(signing_front: RunningFront) -> None:
    assert signing_front.proxy_url is not None
    forged = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9."
    spoofed = [(HEADER, forged), ("x-pomerium-jwt-assertion", forged)]
    anonymous = call(signing_front.proxy_url, "/public/file.txt", headers=spoofed)
    assert assertions(anonymous) == []
    cookie = sign_in(signing_front, "bob")
    reply = call(signing_front.proxy_url, "/page", headers=[("Cookie", cookie), *spoofed])
    [token] = assertions(reply)
    assert token != forged


def test_jwks_is_served_like_pomerium(signing_front: RunningFront) -> None:
    assert signing_front.proxy_url is not None
    reply = call(signing_front.proxy_url, JWKS_PATH + "?x=1")
    assert reply.status == 200
    assert reply.header("Content-Type") == "application/json"
    assert reply.header("Cache-Control") == "max-age=60"
    [key] = json.loads(reply.body)["keys"]
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in key


def test_each_start_has_its_own_key(signing_front: RunningFront, users_file: Path) -> None:  # noqa: F811
    assert signing_front.proxy_url is not None
    cookie = sign_in(signing_front, "alice")
    [token] = assertions(call(signing_front.proxy_url, "/page", headers={"Cookie": cookie}))
    other = AssertionSigner()
    other_jwks = json.loads(other.jwks)
    verifier = AssertionVerifier(
        header=HEADER,
        issuer="127.0.0.1",
        audience="127.0.0.1",
        algorithms=["ES256"],
        jwks=other_jwks,
    )
    with pytest.raises(InvalidAssertion) as info:
        verifier.verify(token)
    assert info.value.reason == "assertion_unknown_key"


def test_signing_off_sends_no_assertion(users_file: Path, upstream: str) -> None:  # noqa: F811
    running = start(users_file, portal=("127.0.0.1", 0), proxy=("127.0.0.1", 0), upstream=upstream)
    try:
        assert running.proxy_url is not None
        cookie = sign_in(running, "alice")
        reply = call(running.proxy_url, "/page", headers=[("Cookie", cookie), (HEADER, "x.y.z")])
        assert assertions(reply) == []
        assert (
            call(running.proxy_url, JWKS_PATH, headers={"Accept": "application/json"}).status == 401
        )
    finally:
        running.stop()


def test_cli_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--users", "x.yml", "--signing-key", "key.pem"])
    assert "--signing-key needs --sign-assertions" in capsys.readouterr().err


# -- the authz endpoints sign too (nginx auth_request, forward-auth) ---------------------------


@pytest.fixture
def signing_portal(users_file: Path) -> Iterator[RunningFront]:  # noqa: F811
    running = start(users_file, portal=("127.0.0.1", 0), sign_assertions=True)
    yield running
    running.stop()


def test_auth_request_answers_with_the_assertion(signing_portal: RunningFront) -> None:
    cookie = sign_in(signing_portal, "jorn")
    reply = auth_request(signing_portal, "http://127.0.0.1:8080/page", cookie)
    assert reply.status == 200
    token = reply.header(HEADER)
    assert token is not None
    verifier = pomerium(host="127.0.0.1", jwks_url=signing_portal.portal_url + JWKS_PATH)
    assertion = verifier.verify(token)
    assert (assertion.username, assertion.groups) == ("jorn", ("editors", "Ünïcode Group"))
    assert reply.header("Remote-User") == "jorn"  # the unsigned headers, as Authelia's


def test_forward_auth_answers_with_the_assertion_for_the_forwarded_host(
    signing_portal: RunningFront,
) -> None:
    cookie = sign_in(signing_portal, "bob")
    reply = forward_auth(signing_portal, "/page", cookie, **{"X-Forwarded-Host": "localhost:9"})
    token = reply.header(HEADER)
    assert token is not None
    jwks_url = signing_portal.portal_url + JWKS_PATH
    assert pomerium(host="localhost", jwks_url=jwks_url).verify(token).username == "bob"


def test_no_assertion_without_an_identity(signing_portal: RunningFront) -> None:
    anonymous = auth_request(signing_portal, "http://127.0.0.1:8080/public/file.txt")
    assert (anonymous.status, anonymous.header(HEADER)) == (200, None)
    cookie = sign_in(signing_portal, "bob")
    forbidden = auth_request(signing_portal, "http://127.0.0.1:8080/admins-only/", cookie)
    assert (forbidden.status, forbidden.header(HEADER)) == (403, None)


def test_the_portal_serves_the_proxys_keys(users_file: Path, upstream: str) -> None:  # noqa: F811
    running = start(
        users_file,
        portal=("127.0.0.1", 0),
        proxy=("127.0.0.1", 0),
        upstream=upstream,
        sign_assertions=True,
    )
    try:
        assert running.proxy_url is not None
        portal = call(running.portal_url, JWKS_PATH)
        proxy = call(running.proxy_url, JWKS_PATH)
        assert portal.status == proxy.status == 200
        assert portal.body == proxy.body
    finally:
        running.stop()


# -- the signing key: generated, or read from a file ---------------------------------------------


def pem_file(path: Path, curve: Any = None) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(curve or ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return path


def test_a_key_file_keeps_its_key_id(tmp_path: Path) -> None:
    path = pem_file(tmp_path / "key.pem")
    first, again = AssertionSigner(key_file=path), AssertionSigner(key_file=path)
    assert first.kid == again.kid
    assert first.jwks == again.jwks
    other = AssertionSigner(key_file=pem_file(tmp_path / "other.pem"))
    assert other.kid != first.kid  # a new key, a new key id: rotation
    assert AssertionSigner().kid not in (first.kid, other.kid)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "No such file", id="missing"),
        pytest.param(b"not a key", "signing key '.*key.pem': ", id="not-pem"),
        pytest.param("p384", "expected a P-256 EC private key", id="wrong-curve"),
    ],
)
def test_a_bad_key_file_is_refused(tmp_path: Path, content: Any, message: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "key.pem"
    if content == "p384":
        pem_file(path, ec.SECP384R1())
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(SigningKeyError, match=message):
        AssertionSigner(key_file=path)
