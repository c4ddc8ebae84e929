"""Tests of remote_identity.assertions.verifier: what a token must be to be believed.

Keys here are given as a JWKS dict (no network); the key server tests are in
test_assertions_sources.py.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from remote_identity import ConfigurationError, IdentityError
from remote_identity.assertions import AssertionVerifier, InvalidAssertion, VerifiedAssertion
from tests.assertion_support.signing import (
    KeyPair,
    claims,
    ec_key,
    ed_key,
    hmac_token,
    jwks,
    rsa_key,
    unsigned,
)

HEADER = "X-Test-Assertion"
EC = ec_key("ec-1")
RSA = rsa_key("rsa-1")
ED = ed_key("ed-1")
OTHER_EC = ec_key("ec-1")  # same kid, different key: a forger's
EC384 = ec_key("ec-384", alg="ES384")


def make(**options: Any) -> AssertionVerifier:
    base: dict[str, Any] = {
        "header": HEADER,
        "issuer": "https://issuer.example",
        "audience": "app",
        "algorithms": ["ES256", "RS256", "EdDSA", "ES384"],
        "jwks": jwks(EC, RSA, ED, EC384),
    }
    base.update(options)
    return AssertionVerifier(**base)


def reason(verifier: AssertionVerifier, token: object) -> str:
    with pytest.raises(InvalidAssertion) as info:
        verifier.verify(token)  # type: ignore[arg-type]
    assert info.value.header == HEADER
    return info.value.reason


# -- construction -------------------------------------------------------------------------

JWKS_OK = {"keys": [EC.jwk()]}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"header": ""}, "header must be a non-empty string", id="header-empty"),
        pytest.param({"header": "X_Token"}, "not a valid header name", id="header-underscore"),
        pytest.param({"header": 7}, "header must be a non-empty string", id="header-int"),
        pytest.param({"issuer": ""}, "issuer must be a non-empty string", id="issuer-empty"),
        pytest.param({"issuer": None}, "issuer must be a non-empty string", id="issuer-none"),
        pytest.param({"audience": ""}, "audience must be a non-empty string", id="audience-empty"),
        pytest.param({"audience": []}, "audience must not be empty", id="audience-empty-list"),
        pytest.param({"audience": ["app", ""]}, r"audience\[1\] must be", id="audience-blank-item"),
        pytest.param({"audience": 3}, "audience must be a list of strings", id="audience-int"),
        pytest.param({"algorithms": "ES256"}, "a list of strings, not str", id="algorithms-str"),
        pytest.param({"algorithms": []}, "algorithms must not be empty", id="algorithms-empty"),
        pytest.param({"algorithms": ["none"]}, "'none' means an unsigned token", id="alg-none"),
        pytest.param({"algorithms": ["ES256", "None"]}, "unsigned token", id="alg-None"),
        pytest.param({"algorithms": ["HS256"]}, "HMAC algorithm", id="alg-hs256"),
        pytest.param({"algorithms": ["ES256", "hs512"]}, "HMAC algorithm", id="alg-hs512"),
        pytest.param({"algorithms": ["XS999"]}, "'XS999' is not supported", id="alg-unknown"),
        pytest.param({"jwks": None}, "exactly one key source.*got none", id="no-key-source"),
        pytest.param(
            {"jwks_url": "https://a.example/jwks"}, "got jwks_url, jwks", id="two-key-sources"
        ),
        pytest.param({"jwks": [EC.jwk()]}, "jwks must be a JWKS dict", id="jwks-list"),
        pytest.param({"jwks": {"keys": "x"}}, "is not a JWKS", id="jwks-not-jwks"),
        pytest.param({"jwks": {"keys": []}}, "no usable public key", id="jwks-empty"),
        pytest.param(
            {"jwks": jwks(RSA), "algorithms": ["ES256"]},
            "no usable public key",
            id="jwks-wrong-type",
        ),
        pytest.param(
            {"jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}, "no usable", id="jwks-symmetric"
        ),
        pytest.param({"jwks": None, "jwks_file": 3}, "jwks_file must be a path", id="file-int"),
        pytest.param(
            {"jwks": None, "jwks_url": "http://keys.example/j"}, "must use https", id="http"
        ),
        pytest.param({"jwks": None, "jwks_url": "ftp://keys.example/j"}, "https:// URL", id="ftp"),
        pytest.param({"jwks": None, "jwks_url": "https:///j"}, "https:// URL", id="no-host"),
        pytest.param(
            {"jwks": None, "jwks_url": "https://u:p@keys.example/j"}, "credentials", id="userinfo"
        ),
        pytest.param(
            {"jwks": None, "jwks_url": "https://keys.example/j#x"}, "fragment", id="fragment"
        ),
        pytest.param(
            {"jwks": None, "jwks_url": "https://keys.example:99999/j"}, "not a valid URL", id="port"
        ),
        pytest.param({"jwks": None, "jwks_url": ""}, "must be a URL string", id="url-empty"),
        pytest.param(
            {"jwks": None, "pem_key_base_url": "https://k.example/keys?x=1"},
            "must not have a query",
            id="base-url-query",
        ),
        pytest.param({"claims": ["sub"]}, "claims must map identity fields", id="claims-list"),
        pytest.param({"claims": {"role": "x"}}, "unknown identity field 'role'", id="claims-field"),
        pytest.param({"claims": {"email": ""}}, r"claims\['email'\] must be", id="claims-empty"),
        pytest.param({"claims": {"groups": 3}}, r"claims\['groups'\] must be", id="claims-int"),
        pytest.param({"claims": {"username": None}}, "must name a claim", id="claims-no-username"),
        pytest.param({"leeway": -1}, "leeway must be between 0 and 600", id="leeway-negative"),
        pytest.param({"leeway": True}, "leeway must be a number", id="leeway-bool"),
        pytest.param({"leeway": float("nan")}, "leeway must be a number", id="leeway-nan"),
        pytest.param({"leeway": "30"}, "leeway must be a number", id="leeway-str"),
        pytest.param({"profile": "jws"}, "profile must be 'jwt' or 'aws-alb'", id="profile"),
        pytest.param({"client_id": "c"}, "only with profile='aws-alb'", id="client-id-jwt"),
        pytest.param({"profile": "aws-alb", "client_id": ""}, "client_id must be", id="client-id"),
        pytest.param({"bearer": "yes"}, "bearer must be True or False", id="bearer"),
        pytest.param({"required_claims": "iat"}, "required_claims must be a list", id="required"),
        pytest.param({"max_token_bytes": 10}, "between 256 and 65536", id="max-bytes-small"),
        pytest.param({"max_token_bytes": 2048.0}, "must be an integer", id="max-bytes-float"),
        pytest.param({"fetch_timeout": 0}, "fetch_timeout must be between", id="timeout-zero"),
        pytest.param({"keys_ttl": 0}, "keys_ttl must be between", id="ttl-zero"),
        pytest.param({"refetch_cooldown": -1}, "refetch_cooldown must be", id="cooldown-negative"),
        pytest.param({"token_cache_size": -1}, "token_cache_size must be", id="cache-negative"),
    ],
)
def test_construction_refuses(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        make(**options)


def test_keyword_names_are_the_contract() -> None:
    verifier = AssertionVerifier(
        header=HEADER,
        issuer="https://issuer.example",
        audience=["app", "other"],
        algorithms=["ES256"],
        jwks_url=None,
        jwks=JWKS_OK,
        claims=None,
        leeway=30,
    )
    assert verifier.audience == ("app", "other")
    assert verifier.algorithms == ("ES256",)
    assert verifier.leeway == 30
    assert verifier.required_claims == ("exp",)
    assert verifier.keys_location == "the configured jwks"
    assert repr(verifier) == (
        "AssertionVerifier(header='X-Test-Assertion', issuer='https://issuer.example', "
        "audience=['app', 'other'], algorithms=['ES256'], keys='the configured jwks')"
    )


def test_jwks_file_is_read_at_construction(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="jwks_file: FileNotFoundError"):
        make(jwks=None, jwks_file=tmp_path / "missing.json")
    path = tmp_path / "jwks.json"
    path.write_text("not json")
    with pytest.raises(ConfigurationError, match=r"jwks_file: .* is not JSON"):
        make(jwks=None, jwks_file=path)


# -- valid tokens -------------------------------------------------------------------------


@pytest.mark.parametrize("key", [EC, RSA, ED, EC384], ids=lambda k: k.alg)
def test_valid_token(key: KeyPair) -> None:
    verifier = make()
    token = key.sign(claims())
    assertion = verifier.verify(token)
    assert isinstance(assertion, VerifiedAssertion)
    assert assertion.username == "alice"
    assert assertion.name == "Alice Liddell"
    assert assertion.email == "alice@example.com"
    assert assertion.groups == ("admins", "staff")
    assert assertion.header == HEADER
    assert assertion.key_id == key.kid
    assert assertion.claims["sub"] == "alice"
    assert assertion.expires_at == assertion.claims["exp"]
    assert dict(assertion.claim_names) == {
        "username": "sub",
        "email": "email",
        "name": "name",
        "groups": "groups",
    }
    assert "alice@example.com" not in repr(assertion).split("email=")[0]


def test_audience_list_one_must_match() -> None:
    verifier = make(audience=["other", "app"])
    assert verifier.verify(EC.sign(claims(aud=["x", "app"]))).username == "alice"
    assert reason(verifier, EC.sign(claims(aud=["x", "y"]))) == "assertion_audience"


def test_leeway_accepts_a_recently_expired_token() -> None:
    now = int(time.time())
    assert make(leeway=30).verify(EC.sign(claims(exp=now - 10))).username == "alice"
    assert reason(make(leeway=0), EC.sign(claims(exp=now - 10))) == "assertion_expired"


def test_bytes_token_is_verified() -> None:
    token = EC.sign(claims())
    assert make().verify(token.encode()).username == "alice"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("Bearer {}", id="bearer"),
        pytest.param("bearer   {}", id="lower-spaces"),
        pytest.param("BEARER\t{} ", id="upper-tab"),
    ],
)
def test_bearer_prefix(value: str) -> None:
    verifier = make(header="Authorization", bearer=True)
    assert verifier.verify(value.format(EC.sign(claims()))).username == "alice"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("{}", id="no-scheme"),
        pytest.param("Basic {}", id="basic"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer{}", id="no-space"),
    ],
)
def test_bearer_prefix_required(value: str) -> None:
    verifier = make(header="Authorization", bearer=True)
    with pytest.raises(InvalidAssertion) as info:
        verifier.verify(value.format(EC.sign(claims())))
    assert info.value.reason == "assertion_malformed"


def test_claim_map() -> None:
    verifier = make(claims={"username": "preferred_username", "groups": "roles", "name": None})
    token = EC.sign(claims(preferred_username="al", roles=["ops"]))
    assertion = verifier.verify(token)
    assert (assertion.username, assertion.name, assertion.groups) == ("al", None, ("ops",))
    assert assertion.email == "alice@example.com"


def test_required_claims() -> None:
    verifier = make(required_claims=["iat", "jti"])
    assert verifier.required_claims == ("exp", "iat", "jti")
    assert verifier.verify(EC.sign(claims(jti="j-1"))).username == "alice"
    with pytest.raises(InvalidAssertion) as info:
        verifier.verify(EC.sign(claims()))
    assert (info.value.reason, info.value.expected) == ("assertion_claims", "a 'jti' claim")


# -- refused tokens -----------------------------------------------------------------------

NOW = int(time.time())
PUBLIC_PEM = RSA.pem().encode()


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        pytest.param(EC.sign(claims(exp=NOW - 3600)), "assertion_expired", id="expired"),
        pytest.param(EC.sign(claims(nbf=NOW + 3600)), "assertion_not_yet_valid", id="nbf-future"),
        pytest.param(EC.sign(claims(iat=NOW + 3600)), "assertion_not_yet_valid", id="iat-future"),
        pytest.param(EC.sign(claims(aud="other-app")), "assertion_audience", id="wrong-aud"),
        pytest.param(EC.sign(claims(aud=None)), "assertion_audience", id="no-aud"),
        pytest.param(EC.sign(claims(aud=[1, 2])), "assertion_audience", id="aud-ints"),
        pytest.param(EC.sign(claims(iss="https://evil.example")), "assertion_issuer", id="iss"),
        pytest.param(EC.sign(claims(iss=None)), "assertion_issuer", id="no-iss"),
        pytest.param(EC.sign(claims(iss=["x"])), "assertion_issuer", id="iss-list"),
        pytest.param(EC.sign(claims(exp=None)), "assertion_claims", id="no-exp"),
        pytest.param(EC.sign(claims(exp="soon")), "assertion_malformed", id="exp-text"),
        pytest.param(EC.sign(claims(iat="then")), "assertion_claims", id="iat-text"),
        pytest.param(EC.sign(claims(sub=7)), "assertion_claims", id="sub-int"),
        pytest.param(EC.sign(claims(jti=7)), "assertion_claims", id="jti-int"),
        pytest.param(
            unsigned({"alg": "none", "kid": "ec-1"}, claims()), "assertion_algorithm", id="alg-none"
        ),
        pytest.param(
            unsigned({"alg": "None"}, claims(), b"x"), "assertion_algorithm", id="alg-None"
        ),
        pytest.param(
            hmac_token(PUBLIC_PEM, {"alg": "HS256", "kid": "rsa-1"}, claims()),
            "assertion_algorithm",
            id="hs256-with-public-key",
        ),
        pytest.param(
            EC.sign(claims(), {"alg": "ES256", "kid": "rsa-1"}),
            "assertion_algorithm",
            id="es256-naming-rsa-key",
        ),
        pytest.param(unsigned({"kid": "ec-1"}, claims()), "assertion_algorithm", id="no-alg"),
        pytest.param(unsigned({"alg": 256}, claims()), "assertion_algorithm", id="alg-int"),
        pytest.param(OTHER_EC.sign(claims()), "assertion_signature", id="forged-same-kid"),
        pytest.param(
            unsigned({"alg": "ES256", "kid": "ec-1"}, claims(), b"\0" * 64),
            "assertion_signature",
            id="zero-signature",
        ),
        pytest.param(
            unsigned({"alg": "ES256", "kid": "ec-1"}, claims()), "assertion_signature", id="no-sig"
        ),
        pytest.param(ec_key("ec-9").sign(claims()), "assertion_unknown_key", id="unknown-kid"),
        pytest.param(EC.sign(claims(), {"kid": 7}), "assertion_malformed", id="kid-int"),
        pytest.param(EC.sign(claims(), {"crit": ["exp"]}), "assertion_malformed", id="crit"),
        pytest.param("", "assertion_malformed", id="empty"),
        pytest.param("a.b", "assertion_malformed", id="two-segments"),
        pytest.param("a.b.c.d", "assertion_malformed", id="four-segments"),
        pytest.param("e30.e30.x y", "assertion_malformed", id="space"),
        pytest.param("e30=.e30.e30", "assertion_malformed", id="padding-jwt"),
        pytest.param("!!!!.e30.e30", "assertion_malformed", id="junk"),
        pytest.param("bm90IGpzb24.e30.e30", "assertion_malformed", id="header-not-json"),
        pytest.param("W10.e30.e30", "assertion_malformed", id="header-array"),
        pytest.param("e30.e30.e30", "assertion_algorithm", id="header-empty-object"),
        pytest.param("é.e30.e30", "assertion_malformed", id="non-ascii"),
        pytest.param(b"\xff\xfe.e30.e30", "assertion_malformed", id="bytes-non-ascii"),
        pytest.param(None, "assertion_malformed", id="none"),
        pytest.param(12, "assertion_malformed", id="int"),
    ],
)
def test_refused(token: object, expected: str) -> None:
    assert reason(make(), token) == expected


def test_unsigned_token_with_unsigned_payload() -> None:
    """A signed token whose payload is not a JSON object (signed by the real key)."""
    raw = jwt.api_jws.encode(b"[1, 2]", EC.private, algorithm="ES256", headers={"kid": "ec-1"})
    assert reason(make(), raw) == "assertion_malformed"
    raw = jwt.api_jws.encode(b"\xff", EC.private, algorithm="ES256", headers={"kid": "ec-1"})
    assert reason(make(), raw) == "assertion_malformed"


def test_signed_claims_python_cannot_convert() -> None:
    """``exp: 1e400`` parses as infinity: signed, but not a time."""
    header = jwt.utils.base64url_encode(b'{"alg":"ES256","kid":"ec-1"}').decode()
    body = jwt.utils.base64url_encode(
        b'{"iss":"https://issuer.example","aud":"app","exp":1e400,"sub":"a"}'
    ).decode()
    signing_input = f"{header}.{body}".encode()
    signature = jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA256).sign(
        signing_input, EC.private
    )
    token = f"{header}.{body}.{jwt.utils.base64url_encode(signature).decode()}"
    assert reason(make(), token) in ("assertion_malformed", "assertion_claims")


@pytest.mark.parametrize(
    ("overrides", "claim"),
    [
        pytest.param({"sub": None}, "'sub' claim that is a non-blank string", id="username-none"),
        pytest.param({"sub": ""}, "'sub' claim that is a non-blank string", id="username-empty"),
        pytest.param({"sub": "  "}, "'sub' claim that is a non-blank string", id="username-blank"),
        pytest.param({"email": 5}, "'email' claim that is a string", id="email-int"),
        pytest.param({"name": ["A"]}, "'name' claim that is a string", id="name-list"),
        pytest.param({"groups": "admins"}, "'groups' claim that is a list", id="groups-str"),
        pytest.param({"groups": ["a", 1]}, "'groups' claim that is a list", id="groups-int"),
        pytest.param({"groups": {"a": 1}}, "'groups' claim that is a list", id="groups-dict"),
    ],
)
def test_claims_of_the_wrong_type(overrides: dict[str, Any], claim: str) -> None:
    with pytest.raises(InvalidAssertion) as info:
        make().verify(EC.sign(claims(**overrides)))
    assert info.value.reason == "assertion_claims"
    assert claim in info.value.expected


def test_missing_optional_claims() -> None:
    token = EC.sign(claims(name=None, email=None, groups=None))
    assertion = make().verify(token)
    assert (assertion.name, assertion.email, assertion.groups) == (None, None, ())


def test_token_without_kid_tries_each_key() -> None:
    verifier = make(jwks=jwks(ec_key("a"), EC, RSA))
    assert verifier.verify(EC.sign(claims(), kid=False)).key_id == "ec-1"
    assert verifier.verify(RSA.sign(claims(), kid=False)).key_id == "rsa-1"
    assert reason(verifier, OTHER_EC.sign(claims(), kid=False)) == "assertion_signature"


def test_key_published_without_kid_is_tried_for_any_token() -> None:
    anonymous = {"keys": [{k: v for k, v in EC.jwk().items() if k != "kid"}]}
    verifier = make(jwks=anonymous)
    assertion = verifier.verify(EC.sign(claims()))
    assert assertion.key_id is None
    assert reason(verifier, OTHER_EC.sign(claims())) == "assertion_signature"


def test_jwk_alg_narrows_the_key() -> None:
    verifier = make(jwks={"keys": [RSA.jwk(alg="RS256")]}, algorithms=["RS256", "PS256"])
    assert verifier.verify(RSA.sign(claims())).username == "alice"
    ps = rsa_key("rsa-1", alg="PS256")
    assert reason(verifier, ps.sign(claims())) == "assertion_algorithm"


def test_token_size_is_checked_before_anything_else() -> None:
    verifier = make()
    huge = "A" * 65536
    started = time.perf_counter()
    for _ in range(100):
        with pytest.raises(InvalidAssertion) as info:
            verifier.verify(huge)
    assert info.value.reason == "assertion_malformed"
    assert info.value.expected == "a token of at most 16384 bytes"
    # A length comparison, not a scan: 100 refusals of 64 KB take well under a millisecond
    # each (a regex or base64 pass over 6.4 MB would not).
    assert time.perf_counter() - started < 0.5
    padded = EC.sign(claims(pad="x" * 20000))
    assert reason(verifier, padded) == "assertion_malformed"
    assert make(max_token_bytes=65536).verify(padded).username == "alice"


def test_error_never_contains_the_token() -> None:
    token = EC.sign(claims(exp=NOW - 3600, sub="secret-user"))
    with pytest.raises(InvalidAssertion) as info:
        make().verify(token)
    error = info.value
    assert isinstance(error, IdentityError)
    assert isinstance(error, ValueError)
    for text in (str(error), repr(error), error.expected):
        assert token not in text
        assert token.split(".")[1] not in text
        assert "secret-user" not in text
    assert str(error) == (
        f"{HEADER}: the signed assertion has expired (assertion_expired); "
        "expected a token that has not expired (30 s of leeway)"
    )


# -- the verified-token cache ---------------------------------------------------------------


def test_a_verified_token_is_a_lookup() -> None:
    verifier = make()
    token = EC.sign(claims())
    first = verifier.verify(token)
    assert verifier.verify(token) is first


def test_bytes_tokens_are_not_cached() -> None:
    verifier = make()
    token = EC.sign(claims()).encode()
    assert verifier.verify(token) is not verifier.verify(token)


def test_cache_disabled() -> None:
    verifier = make(token_cache_size=0)
    token = EC.sign(claims())
    assert verifier.verify(token) is not verifier.verify(token)


def test_a_refused_token_stays_refused() -> None:
    verifier = make()
    token = EC.sign(claims(aud="other-app"))
    for _ in range(3):
        assert reason(verifier, token) == "assertion_audience"


def test_replay_across_audiences() -> None:
    """A token for app A, accepted (and cached) by A, is refused by app B behind the same
    proxy and keys."""
    app_a = make(audience="app")
    app_b = make(audience="billing")
    token = EC.sign(claims(aud="app"))
    assert app_a.verify(token).username == "alice"
    assert reason(app_b, token) == "assertion_audience"
    assert app_a.verify(token).username == "alice"


# PyJWT before 2.15 lets two exceptions of a *signed* token's claims escape decode():
# OverflowError for "exp": 1e400 (infinity) and RecursionError for a deeply nested payload.
# These reproduce that code (PyJWT 2.12's own lines), so the verifier's guard is exercised
# on the PyJWT installed here too.


def _old_validate_exp(self: Any, payload: dict[str, Any], now: float, leeway: float) -> None:
    try:
        exp = int(payload["exp"])
    except ValueError:
        raise jwt.DecodeError("Expiration Time claim (exp) must be an integer.") from None
    if exp <= (now - leeway):
        raise jwt.ExpiredSignatureError("Signature has expired")


def _old_decode_payload(self: Any, decoded: dict[str, Any]) -> Any:
    import json

    try:
        payload = json.loads(decoded["payload"])
    except ValueError as e:
        raise jwt.DecodeError(f"Invalid payload string: {e}") from e
    return payload


@pytest.mark.parametrize(
    ("patch", "payload"),
    [
        pytest.param(
            ("_validate_exp", _old_validate_exp),
            b'{"iss":"https://issuer.example","aud":"app","exp":1e400,"sub":"a"}',
            id="exp-infinity",
        ),
        pytest.param(
            ("_decode_payload", _old_decode_payload),
            b'{"a":' * 5000 + b"1" + b"}" * 5000,
            id="deep-payload",
        ),
    ],
)
def test_claims_older_pyjwt_cannot_process(
    monkeypatch: pytest.MonkeyPatch, patch: tuple[str, Any], payload: bytes
) -> None:
    monkeypatch.setattr(jwt.api_jwt.PyJWT, *patch)
    token = jwt.api_jws.encode(payload, EC.private, algorithm="ES256", headers={"kid": "ec-1"})
    verifier = make(max_token_bytes=65536)
    assert reason(verifier, token) == "assertion_claims"
