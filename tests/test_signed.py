"""Signed mode of the identity gate (remote_identity.signed and IdentityGate with
``assertion=``): the identity comes only from a verified token, through the rules of
header values; the unsigned headers never reach the application; the network checks
are optional, and both must hold when they are set."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest

import remote_identity.signed
from remote_identity import ConfigurationError, Identity, IdentityGate, Verdict
from remote_identity.assertions import AssertionVerifier, InvalidAssertion, cloudflare_access
from remote_identity.assertions import _backend as backend
from remote_identity.gate import ORIG_KEY, PROXY_FIX_ORIG, REDACTED
from remote_identity.options import problems
from remote_identity.signed import SignedIdentities
from tests.assertion_support.keyserver import KeyServer
from tests.assertion_support.signing import (
    claims,
    ec_key,
    ed_key,
    hmac_token,
    jwks,
    rsa_key,
    unsigned,
)

HEADER = "X-Assertion"
KEY = "HTTP_X_ASSERTION"
EC = ec_key("ec-1")
RSA = rsa_key("rsa-1")
ED = ed_key("ed-1")
FORGER = ec_key("ec-1")  # the same kid, another key
PROXY = "10.0.0.2"
ATTACKER = "203.0.113.9"
SECRET = "s3cret-s3cret-s3cret"
ALICE = Identity("alice", "Alice Liddell", "alice@example.com", ("admins", "staff"))
SPOOF = {"HTTP_REMOTE_USER": "admin", "HTTP_REMOTE_GROUPS": "admins"}


def verifier(**options: Any) -> AssertionVerifier:
    base: dict[str, Any] = {
        "header": HEADER,
        "issuer": "https://issuer.example",
        "audience": "app",
        "algorithms": ["ES256", "RS256", "EdDSA"],
        "jwks": jwks(EC, RSA, ED),
    }
    return AssertionVerifier(**{**base, **options})


def gate(**options: Any) -> IdentityGate:
    options.setdefault("assertion", verifier())
    return IdentityGate(**options)


def environ(peer: str | None = ATTACKER, **headers: Any) -> dict[str, Any]:
    env: dict[str, Any] = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    if peer is not None:
        env["REMOTE_ADDR"] = peer
    env.update(headers)
    return env


TOKEN = EC.sign(claims())


def reason_of(verdict: Verdict) -> str | None:
    return None if verdict.error is None else verdict.error.reason


@pytest.fixture
def server() -> Iterator[KeyServer]:
    with KeyServer() as running:
        yield running


# -- the identity comes from the token only -----------------------------------------------


@pytest.mark.parametrize("key", [EC, RSA, ED], ids=lambda key: key.alg)
def test_a_valid_token_is_the_identity(key: Any) -> None:
    token = key.sign(claims())
    env = environ(**{KEY: token})
    verdict = gate().process(env)
    assert (verdict.outcome, verdict.identity, verdict.trusted) == ("identity", ALICE, False)
    assert verdict.assertion is not None
    assert verdict.assertion.claims["iss"] == "https://issuer.example"
    assert env["remote_identity"] == ALICE
    assert env[KEY] == token  # a verified token stays: it is signed
    assert ORIG_KEY not in env


def test_unsigned_headers_beside_a_valid_token_are_removed_not_believed() -> None:
    env = environ(**{KEY: TOKEN}, **SPOOF, HTTP_REMOTE_NAME="Admin")
    verdict = gate().process(env)
    assert verdict.identity == ALICE
    assert verdict.stripped == ("Remote-User", "Remote-Name", "Remote-Groups")
    assert not any(key in env for key in ("HTTP_REMOTE_USER", "HTTP_REMOTE_GROUPS"))
    assert env[ORIG_KEY] == {**SPOOF, "HTTP_REMOTE_NAME": "Admin"}
    assert env[KEY] == TOKEN


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="no-token"),
        pytest.param({KEY: ""}, id="empty-token"),
        pytest.param(SPOOF, id="unsigned-headers-only"),
    ],
)
def test_without_a_token_nobody_is_signed_in(headers: dict[str, str]) -> None:
    env = environ(**headers)
    verdict = gate().process(env)
    assert (verdict.outcome, verdict.identity, verdict.error) == ("anonymous", None, None)
    assert "HTTP_REMOTE_USER" not in env
    assert gate().refusals == {}  # a proxy sends its unsigned headers itself: no refusal


def cloudflare(server: KeyServer) -> AssertionVerifier:
    server.serve_json("/certs", jwks(RSA))
    return cloudflare_access(
        team_domain="team.cloudflareaccess.com", audience="a" * 64, jwks_url=server.url("/certs")
    )


def test_the_proxys_unsigned_headers_are_removed_from_every_request(server: KeyServer) -> None:
    verifier = cloudflare(server)
    the_gate = IdentityGate(assertion=verifier)  # the scheme stays authelia
    assert the_gate.headers == (
        "Remote-User",
        "Remote-Name",
        "Remote-Email",
        "Remote-Groups",
        "Cf-Access-Authenticated-User-Email",
        "Cf-Access-Jwt-Assertion",
    )
    env = environ(HTTP_CF_ACCESS_AUTHENTICATED_USER_EMAIL="ceo@example.com")
    assert the_gate.process(env).stripped == ("Cf-Access-Authenticated-User-Email",)
    assert "HTTP_CF_ACCESS_AUTHENTICATED_USER_EMAIL" not in env


def test_a_scheme_that_names_the_assertions_header_keeps_one_spelling(server: KeyServer) -> None:
    verifier = cloudflare(server)
    the_gate = IdentityGate(scheme="cloudflare-access", assertion=verifier)
    assert the_gate.headers == ("Cf-Access-Authenticated-User-Email", "Cf-Access-Jwt-Assertion")
    token = RSA.sign(
        claims(iss="https://team.cloudflareaccess.com", aud=["a" * 64], email="ceo@example.com")
    )
    env = environ(HTTP_CF_ACCESS_JWT_ASSERTION=token)
    verdict = the_gate.process(env)
    assert verdict.identity == Identity("ceo@example.com", email="ceo@example.com")
    assert env["HTTP_CF_ACCESS_JWT_ASSERTION"] == token
    bad = environ(HTTP_CF_ACCESS_JWT_ASSERTION=token + "x")
    assert the_gate.process(bad).stripped == ("Cf-Access-Jwt-Assertion",)
    assert bad[ORIG_KEY] == {"HTTP_CF_ACCESS_JWT_ASSERTION": REDACTED}


# -- a token that fails is refused, counted, never logged -----------------------------------

NOW = int(time.time())
REFUSED = [
    pytest.param(EC.sign(claims(exp=NOW - 3600)), "assertion_expired", id="expired"),
    pytest.param(EC.sign(claims(nbf=NOW + 3600)), "assertion_not_yet_valid", id="not-yet-valid"),
    pytest.param(EC.sign(claims(aud="other-app")), "assertion_audience", id="other-audience"),
    pytest.param(EC.sign(claims(iss="https://evil.example")), "assertion_issuer", id="issuer"),
    pytest.param(FORGER.sign(claims()), "assertion_signature", id="wrong-key"),
    pytest.param(
        unsigned({"alg": "none", "kid": "ec-1"}, claims()), "assertion_algorithm", id="alg-none"
    ),
    pytest.param(
        hmac_token(EC.pem().encode(), {"alg": "HS256", "kid": "ec-1"}, claims()),
        "assertion_algorithm",
        id="hs256-with-the-public-key",
    ),
    pytest.param(ec_key("ec-9").sign(claims()), "assertion_unknown_key", id="unknown-kid"),
    pytest.param("not.a-token", "assertion_malformed", id="malformed"),
    pytest.param("e" * 65536, "assertion_malformed", id="64-kb"),
    pytest.param(" \t", "assertion_malformed", id="blank"),
    pytest.param(EC.sign(claims(sub=7)), "assertion_claims", id="username-not-a-string"),
]


@pytest.mark.parametrize(("token", "reason"), REFUSED)
def test_a_token_that_fails_is_refused(
    token: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    the_gate = gate()
    env = environ(**{KEY: token}, **SPOOF)
    with caplog.at_level(logging.WARNING, logger="remote_identity"):
        verdict = the_gate.process(env)
    assert (verdict.outcome, verdict.identity) == ("rejected", None)
    assert reason_of(verdict) == reason
    assert isinstance(verdict.error, InvalidAssertion)
    status, body = verdict.refusal()
    assert status == 400
    assert body.startswith(f"Identity refused: {reason} ({HEADER})")
    assert the_gate.refusals == {reason: 1}
    assert [record.reason for record in caplog.records] == [reason]  # type: ignore[attr-defined]
    everything = caplog.text + body + repr(verdict) + repr(env.get(ORIG_KEY))
    assert token not in everything
    assert env[ORIG_KEY][KEY] == REDACTED


def test_on_invalid_anonymous_removes_the_token() -> None:
    env = environ(**{KEY: FORGER.sign(claims())}, **SPOOF)
    verdict = gate(on_invalid="anonymous").process(env)
    assert (verdict.outcome, verdict.identity) == ("anonymous", None)
    assert reason_of(verdict) == "assertion_signature"
    assert verdict.stripped == ("Remote-User", "Remote-Groups", HEADER)
    assert KEY not in env
    assert env[ORIG_KEY] == {**SPOOF, KEY: REDACTED}


def test_refusals_are_rate_limited_and_all_counted(caplog: pytest.LogCaptureFixture) -> None:
    the_gate = gate()
    forged = FORGER.sign(claims())
    with caplog.at_level(logging.WARNING, logger="remote_identity"):
        for _ in range(50):
            the_gate.process(environ(**{KEY: forged}))
    assert the_gate.refusals == {"assertion_signature": 50}
    assert len(caplog.records) == 1


# -- claims go through the rules of header values --------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "reason", "claim"),
    [
        pytest.param({"sub": "admin\u200b"}, "control_character", "sub", id="zero-width"),
        pytest.param({"sub": "ad\x01min"}, "control_character", "sub", id="control"),
        pytest.param({"sub": "\u212aelvin"}, "equivalent_character", "sub", id="kelvin"),
        pytest.param({"sub": "\u1d2cdmin"}, "compatibility_character", "sub", id="look-alike"),
        pytest.param({"sub": "ad\u3164min"}, "invisible_character", "sub", id="hangul-filler"),
        pytest.param({"sub": "alice "}, "edge_whitespace", "sub", id="trailing-space"),
        pytest.param({"sub": "admin,bob"}, "multiple_values", "sub", id="comma"),
        pytest.param({"sub": "a" * 151}, "too_long", "sub", id="too-long"),
        pytest.param({"name": "\u202eEve"}, "control_character", "name", id="name-bidi"),
        pytest.param({"groups": ["admins\u200b"]}, "control_character", "groups", id="group"),
        pytest.param(
            {"email": "alice\u200b@example.com"}, "control_character", "email", id="email"
        ),
    ],
)
def test_a_claim_that_is_not_a_clean_name_is_refused_like_a_header(
    overrides: dict[str, Any], reason: str, claim: str
) -> None:
    the_gate = gate()
    verdict = the_gate.process(environ(**{KEY: EC.sign(claims(**overrides))}))
    assert verdict.outcome == "rejected"
    assert verdict.error is not None
    assert (verdict.error.reason, verdict.error.header) == (reason, f"{HEADER} claim {claim!r}")
    assert verdict.refusal()[0] == 400
    assert the_gate.refusals == {reason: 1}


def test_a_malformed_email_claim_is_dropped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    the_gate = gate()
    with caplog.at_level(logging.WARNING, logger="remote_identity.parsing"):
        verdict = the_gate.process(environ(**{KEY: EC.sign(claims(email="not-an-address"))}))
    assert verdict.identity == Identity("alice", "Alice Liddell", None, ("admins", "staff"))
    assert [w.reason for w in verdict.warnings] == ["invalid_email"]
    assert the_gate.refusals == {"invalid_email": 1}
    assert "claim 'email' dropped" in caplog.text


def test_the_policy_applies_to_claims() -> None:
    from remote_identity import ParsingPolicy

    the_gate = gate(policy=ParsingPolicy(username_case="lower"))
    verdict = the_gate.process(environ(**{KEY: EC.sign(claims(sub="ALICE"))}))
    assert verdict.identity is not None
    assert verdict.identity.username == "alice"


# -- the network checks: optional, and both must hold when set -----------------------------


@pytest.mark.parametrize(
    ("peer", "options", "outcome", "trusted", "reason"),
    [
        pytest.param(ATTACKER, {}, "identity", False, None, id="no-network-check"),
        pytest.param(PROXY, {"trusted_proxies": [PROXY]}, "identity", True, None, id="proxy"),
        pytest.param(
            ATTACKER, {"trusted_proxies": [PROXY]}, "anonymous", False, "untrusted_peer",
            id="valid-token-from-elsewhere",
        ),
        pytest.param(
            ATTACKER,
            {"trusted_proxies": [PROXY], "on_untrusted": "reject"},
            "rejected",
            False,
            "untrusted_peer",
            id="valid-token-from-elsewhere-rejected",
        ),
        pytest.param(
            ATTACKER,
            {"shared_secret_header": "X-Secret", "shared_secret": SECRET},
            "anonymous",
            False,
            "bad_secret",
            id="no-secret",
        ),
        pytest.param(
            PROXY,
            {
                "trusted_proxies": [PROXY],
                "shared_secret_header": "X-Secret",
                "shared_secret": SECRET,
            },
            "anonymous",
            False,
            "bad_secret",
            id="proxy-without-secret",
        ),
    ],
)  # fmt: skip
def test_both_must_hold(
    peer: str, options: dict[str, Any], outcome: str, trusted: bool, reason: str | None
) -> None:
    env = environ(peer, **{KEY: TOKEN}, **SPOOF)
    verdict = gate(**options).process(env)
    assert (verdict.outcome, verdict.trusted) == (outcome, trusted)
    assert reason_of(verdict) == reason
    assert "HTTP_REMOTE_USER" not in env
    if outcome != "identity":
        assert KEY not in env
        assert env[ORIG_KEY][KEY] == REDACTED
    if outcome == "rejected":
        assert verdict.refusal()[0] == 403


def test_the_secret_alone_is_a_network_check() -> None:
    the_gate = gate(shared_secret_header="X-Secret", shared_secret=SECRET)
    env = environ(**{KEY: TOKEN, "HTTP_X_SECRET": SECRET})
    verdict = the_gate.process(env)
    assert (verdict.outcome, verdict.trusted) == ("identity", True)
    assert env[ORIG_KEY] == {"HTTP_X_SECRET": REDACTED}


def test_an_ambiguous_peer_matters_only_with_trusted_proxies() -> None:
    def ambiguous() -> dict[str, Any]:
        return environ(
            "198.51.100.1",
            **{KEY: TOKEN, PROXY_FIX_ORIG: {"REMOTE_ADDR": PROXY}},
            HTTP_X_FORWARDED_FOR=PROXY,
        )

    assert gate().process(ambiguous()).outcome == "identity"
    verdict = gate(trusted_proxies=[PROXY]).process(ambiguous())
    assert reason_of(verdict) == "ambiguous_peer"
    assert verdict.outcome == "anonymous"


# -- the cost of a repeated token ----------------------------------------------------------


def test_a_repeated_token_is_not_verified_again(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    decode = backend.decode

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return decode(*args, **kwargs)

    monkeypatch.setattr(backend, "decode", counting)
    the_gate = gate()
    first = the_gate.process(environ(**{KEY: TOKEN}))
    second = the_gate.process(environ(**{KEY: TOKEN}))
    assert len(calls) == 1
    assert second.identity is first.identity
    assert second.assertion is first.assertion


def test_the_identity_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(remote_identity.signed, "_CACHE_SIZE", 2)
    signed = SignedIdentities(verifier(token_cache_size=0), gate().policy)
    # A new assertion each time (no token cache): a new entry each time.
    results = [signed.identify(signed.verify(TOKEN))[1] for _ in range(5)]
    assert len(signed.results) <= 2
    assert all(result.identity == ALICE for result in results)


# -- keys from a URL: rotation without restart ------------------------------------------------


def test_key_rotation_without_restart(server: KeyServer) -> None:
    old, new = ec_key("old"), ec_key("new")
    server.serve_json("/jwks", jwks(old))
    the_gate = gate(assertion=verifier(jwks=None, jwks_url=server.url("/jwks"), refetch_cooldown=0))
    old_token = old.sign(claims())
    assert the_gate.process(environ(**{KEY: old_token})).identity == ALICE
    server.serve_json("/jwks", jwks(new))  # the proxy restarted with a new key
    assert the_gate.process(environ(**{KEY: new.sign(claims())})).identity == ALICE
    verdict = the_gate.process(environ(**{KEY: old_token}))  # cached, but its key is gone
    assert reason_of(verdict) == "assertion_unknown_key"


def test_key_server_down_is_refused_with_its_reason() -> None:
    from tests.assertion_support.keyserver import refused_url

    the_gate = gate(assertion=verifier(jwks=None, jwks_url=refused_url(), fetch_timeout=0.5))
    verdict = the_gate.process(environ(**{KEY: TOKEN}))
    assert reason_of(verdict) == "assertion_keys_unavailable"


# -- configuration -----------------------------------------------------------------------------


def test_the_option_takes_a_dict_or_a_preset() -> None:
    plain = gate(
        assertion={
            "header": HEADER,
            "issuer": "https://issuer.example",
            "audience": "app",
            "algorithms": ["ES256"],
            "jwks": jwks(EC),
        }
    )
    assert plain.process(environ(**{KEY: TOKEN})).identity == ALICE
    preset = gate(assertion={"preset": "pomerium", "host": "app.example.com"})
    assert preset.assertion is not None
    assert preset.assertion.header == "X-Pomerium-Jwt-Assertion"
    assert IdentityGate().assertion is None


@pytest.mark.parametrize(
    ("value", "reason", "message"),
    [
        pytest.param("pomerium", "not_an_assertion", "not str", id="string"),
        pytest.param(
            {"preset": "nginx"}, "unknown_preset", "unknown assertion preset", id="preset"
        ),
        pytest.param(
            {"preset": "pomerium", "host": "a.example", "algorithms": ["HS256"]},
            "insecure_algorithm",
            "HMAC",
            id="hmac",
        ),
        pytest.param(
            {"preset": "pomerium", "host": "a.example", "jwks_url": "http://a.example/j"},
            "bad_key_source",
            "https",
            id="plain-http",
        ),
        pytest.param({"preset": "pomerium"}, "bad_assertion", "'host'", id="missing"),
        pytest.param(
            {"preset": "pomerium", "host": "a.example", "leeway": -1},
            "bad_assertion",
            "leeway",
            id="leeway",
        ),
    ],
)
def test_the_option_refuses(value: object, reason: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as info:
        IdentityGate(assertion=value)  # type: ignore[arg-type]
    assert (info.value.option, info.value.reason) == ("assertion", reason)
    assert [(e.option, e.reason) for e in problems({"assertion": value})] == [("assertion", reason)]


def test_the_option_without_the_jwt_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "remote_identity.assertions._backend", None)
    with pytest.raises(ConfigurationError, match=r"remote-identity\[jwt\]") as info:
        gate(assertion={"preset": "pomerium", "host": "a.example"})
    assert (info.value.option, info.value.reason) == ("assertion", "missing_extra")


def test_a_verdict_of_signed_mode_is_a_verdict() -> None:
    verdict = gate().process(environ(**{KEY: TOKEN}))
    assert isinstance(verdict, Verdict)
    assert verdict._fields[-1] == "assertion"
