"""Tests of remote_identity.assertions.keys: which published keys are used, and for what."""

from __future__ import annotations

import json
import logging

import pytest

from remote_identity.assertions.keys import (
    MAX_KEYS,
    KeySet,
    KeySourceError,
    parse_jwks,
    parse_pem,
    parse_pem_map,
)
from tests.assertion_support.signing import ec_key, ed_key, jwks, rsa_key

ALL = frozenset({"ES256", "RS256", "PS256", "EdDSA"})
EC, RSA, ED = ec_key("ec"), rsa_key("rsa"), ed_key("ed")


def test_jwks_keys_are_bound_to_their_algorithms() -> None:
    keys = parse_jwks(json.dumps(jwks(EC, RSA, ED)).encode(), ALL, "test")
    assert {kid: sorted(k.algorithms) for kid, k in keys.by_kid.items()} == {
        "ec": ["ES256"],
        "rsa": ["PS256", "RS256"],
        "ed": ["EdDSA"],
    }
    assert keys.anonymous == ()
    assert len(keys.fingerprints) == 3


def test_jwk_alg_narrows_and_a_contradicting_alg_drops_the_key() -> None:
    keys = parse_jwks({"keys": [RSA.jwk(alg="PS256"), EC.jwk(alg="RS256")]}, ALL, "test")
    assert list(keys.by_kid) == ["rsa"]
    assert keys.by_kid["rsa"].algorithms == {"PS256"}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param(b"{", "test is not JSON", id="not-json"),
        pytest.param(b"[" * 100000, "test is not JSON", id="deep"),
        pytest.param(b"[]", 'not a JWKS \\(a JSON object with a "keys" list\\)', id="list"),
        pytest.param(b'{"keys": {}}', "not a JWKS", id="keys-object"),
        pytest.param(b'{"keys": []}', "test has no usable public key", id="empty"),
        pytest.param(b'{"keys": [1, "x", null]}', "no usable public key", id="not-objects"),
    ],
)
def test_jwks_refused(document: bytes, message: str) -> None:
    with pytest.raises(KeySourceError, match=message):
        parse_jwks(document, ALL, "test")


def test_unusable_entries_are_skipped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    document = {
        "keys": [
            "not an object",
            {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
            {**EC.jwk(), "use": "enc", "kid": "encryption"},
            {**ec_key("private").jwk(), "d": "AA"},
            EC.jwk(use="sig"),
        ]
    }
    with caplog.at_level(logging.INFO, "remote_identity.assertions"):
        keys = parse_jwks(document, ALL, "test")
    assert list(keys.by_kid) == ["ec"]
    messages = [r.getMessage() for r in caplog.records]
    assert "test: a JWKS entry that is not an object was skipped" in messages
    assert any("'hmac'" in m and "is not RSA, EC or OKP" in m for m in messages)
    assert any("'private'" in m and "private key material" in m for m in messages)
    assert not any("encryption" in m for m in messages)


def test_keys_of_no_allowed_algorithm_are_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "remote_identity.assertions"):
        keys = parse_jwks(jwks(EC, RSA), frozenset({"RS256"}), "test")
    assert list(keys.by_kid) == ["rsa"]
    assert "key 'ec' from test skipped: it verifies none of the allowed algorithms" in (
        caplog.records[0].getMessage()
    )


def test_at_most_max_keys(caplog: pytest.LogCaptureFixture) -> None:
    many = [ec_key(f"k{i}") for i in range(MAX_KEYS + 3)]
    with caplog.at_level(logging.WARNING, "remote_identity.assertions"):
        keys = parse_jwks(jwks(*many), ALL, "test")
    assert len(keys.by_kid) == MAX_KEYS
    assert f"test has {MAX_KEYS + 3} keys; only the first {MAX_KEYS} are used" in caplog.text


def test_key_set_candidates() -> None:
    anonymous = {k: v for k, v in ED.jwk().items() if k != "kid"}
    duplicate = ec_key("ec")
    keys = parse_jwks({"keys": [EC.jwk(), duplicate.jwk(), RSA.jwk(), anonymous]}, ALL, "t")
    assert [k.kid for k in keys.candidates("ec") or ()] == ["ec"]
    assert (
        keys.by_kid["ec"].fingerprint
        != parse_jwks(jwks(duplicate), ALL, "t").by_kid["ec"].fingerprint
    )
    assert [k.kid for k in keys.candidates(None) or ()] == ["ec", "rsa", None]
    assert [k.kid for k in keys.candidates("unknown") or ()] == [None]
    named_only = KeySet.of([keys.by_kid["ec"]])
    assert named_only.candidates("unknown") is None


def test_pem_map() -> None:
    keys = parse_pem_map(json.dumps({"a": EC.pem(), "b": RSA.pem()}).encode(), ALL, "map")
    assert sorted(keys.by_kid) == ["a", "b"]
    with pytest.raises(KeySourceError, match="is not a JSON object of key id to PEM key"):
        parse_pem_map(b"[]", ALL, "map")
    with pytest.raises(KeySourceError, match="map has no usable public key"):
        parse_pem_map(b'{"a": "junk"}', ALL, "map")


def test_pem() -> None:
    key = parse_pem(EC.pem().encode(), "kid-1", ALL, "url")
    assert (key.kid, key.algorithms) == ("kid-1", {"ES256"})
    with pytest.raises(KeySourceError, match="url: not a PEM public key"):
        parse_pem(b"junk", "kid-1", ALL, "url")
    with pytest.raises(KeySourceError, match="url: the key verifies none of"):
        parse_pem(RSA.pem().encode(), "kid-1", frozenset({"ES256"}), "url")


def test_pem_map_skips_keys_of_other_algorithms() -> None:
    document = json.dumps({"r": RSA.pem(), "e": EC.pem()}).encode()
    keys = parse_pem_map(document, frozenset({"ES256"}), "map")
    assert list(keys.by_kid) == ["e"]
