"""Tests of remote_identity.assertions._backend: PyJWT's exceptions mapped to reason codes,
and public keys read from JWKs and PEM documents."""

from __future__ import annotations

import datetime
import inspect

import jwt
import jwt.exceptions
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, rsa
from cryptography.x509.oid import NameOID

from remote_identity.assertions import _backend
from remote_identity.errors import REASONS
from tests.assertion_support.signing import ec_key, ed_key, rsa_key

PYJWT_ERRORS = sorted(
    (
        cls
        for _, cls in inspect.getmembers(jwt.exceptions, inspect.isclass)
        if issubclass(cls, jwt.PyJWTError)
    ),
    key=lambda cls: cls.__name__,
)


@pytest.mark.parametrize("cls", PYJWT_ERRORS, ids=lambda cls: cls.__name__)
def test_every_pyjwt_exception_has_one_reason(cls: type[jwt.PyJWTError]) -> None:
    error = cls("exp") if cls is jwt.MissingRequiredClaimError else cls("message")
    reason = _backend.reason_for(error)
    assert reason.startswith("assertion_")
    assert reason in REASONS


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param(jwt.InvalidSignatureError(), "assertion_signature", id="signature"),
        pytest.param(jwt.ExpiredSignatureError(), "assertion_expired", id="expired"),
        pytest.param(jwt.ImmatureSignatureError(), "assertion_not_yet_valid", id="immature"),
        pytest.param(jwt.InvalidAudienceError(), "assertion_audience", id="audience"),
        pytest.param(jwt.InvalidIssuerError(), "assertion_issuer", id="issuer"),
        pytest.param(jwt.InvalidAlgorithmError(), "assertion_algorithm", id="algorithm"),
        pytest.param(jwt.MissingRequiredClaimError("aud"), "assertion_audience", id="no-aud"),
        pytest.param(jwt.MissingRequiredClaimError("iss"), "assertion_issuer", id="no-iss"),
        pytest.param(jwt.MissingRequiredClaimError("exp"), "assertion_claims", id="no-exp"),
        pytest.param(jwt.InvalidIssuedAtError(), "assertion_claims", id="iat"),
        pytest.param(jwt.exceptions.InvalidSubjectError(), "assertion_claims", id="sub"),
        pytest.param(jwt.exceptions.InvalidJTIError(), "assertion_claims", id="jti"),
        pytest.param(jwt.InvalidKeyError(), "assertion_keys_unavailable", id="key"),
        pytest.param(jwt.DecodeError(), "assertion_malformed", id="decode"),
        pytest.param(jwt.InvalidTokenError(), "assertion_malformed", id="token"),
        pytest.param(jwt.PyJWTError(), "assertion_malformed", id="base"),
        pytest.param(jwt.PyJWKClientError(), "assertion_malformed", id="client"),
    ],
)
def test_reason_for(error: jwt.PyJWTError, reason: str) -> None:
    assert _backend.reason_for(error) == reason


def test_expected_for() -> None:
    assert _backend.expected_for(jwt.MissingRequiredClaimError("iat")) == "a 'iat' claim"
    assert _backend.expected_for(jwt.MissingRequiredClaimError("aud")) is None
    assert _backend.expected_for(jwt.DecodeError()) is None


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        pytest.param({"kty": "oct", "k": "c2VjcmV0"}, "is not RSA, EC or OKP", id="oct"),
        pytest.param({"n": "x"}, "key type None", id="no-kty"),
        pytest.param({"kty": 3}, "key type 3", id="kty-int"),
        pytest.param({"kty": "RSA", "n": 5, "e": "AQAB"}, "not a valid RSA key", id="rsa-int"),
        pytest.param({"kty": "RSA"}, "not a valid RSA key", id="rsa-empty"),
        pytest.param({"kty": "EC", "crv": "P-999", "x": "", "y": ""}, "not a valid EC", id="crv"),
        pytest.param({"kty": "OKP", "crv": "X25519", "x": "AA"}, "not a valid OKP", id="x25519"),
        pytest.param({**ec_key().jwk(), "d": "AA"}, "private key material", id="private-ec"),
        pytest.param({**rsa_key().jwk(), "p": "AA"}, "private key material", id="private-rsa"),
    ],
)
def test_key_from_jwk_refuses(jwk: dict[str, object], message: str) -> None:
    with pytest.raises(_backend.KeyFormatError, match=message):
        _backend.key_from_jwk(jwk)


def _certificate(key: ec.EllipticCurvePrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "keys.example")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def test_key_from_pem() -> None:
    key = ec_key()
    assert _backend.key_fingerprint(_backend.key_from_pem(key.pem().encode())) == (
        _backend.key_fingerprint(key.public)
    )
    from_certificate = _backend.key_from_pem(_certificate(key.private))
    assert _backend.key_fingerprint(from_certificate) == _backend.key_fingerprint(key.public)


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        pytest.param(b"garbage", "not a PEM public key or certificate", id="garbage"),
        pytest.param(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "not a PEM public key or certificate",
            id="bad-certificate",
        ),
        pytest.param(
            dsa.generate_private_key(2048)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
            "DSAPublicKey is not a supported public key",
            id="dsa",
        ),
    ],
)
def test_key_from_pem_refuses(pem: bytes, message: str) -> None:
    with pytest.raises(_backend.KeyFormatError, match=message):
        _backend.key_from_pem(pem)


@pytest.mark.parametrize(
    ("key", "algorithms"),
    [
        pytest.param(
            rsa_key().public, {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"}, id="rsa"
        ),
        pytest.param(
            rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key(),
            set(),
            id="rsa-1024",
        ),
        pytest.param(ec_key().public, {"ES256"}, id="p256"),
        pytest.param(ec_key(alg="ES384").public, {"ES384"}, id="p384"),
        pytest.param(ec_key(alg="ES512").public, {"ES512"}, id="p521"),
        pytest.param(ec.generate_private_key(ec.SECP256K1()).public_key(), set(), id="secp256k1"),
        pytest.param(ed_key().public, {"EdDSA"}, id="ed25519"),
        pytest.param(ed448.Ed448PrivateKey.generate().public_key(), {"EdDSA"}, id="ed448"),
    ],
)
def test_key_algorithms(key: _backend.PublicKeyObject, algorithms: set[str]) -> None:
    assert _backend.key_algorithms(key) == algorithms


def test_fingerprints_tell_keys_apart() -> None:
    a, b = ec_key(), ec_key()
    assert _backend.key_fingerprint(a.public) == _backend.key_fingerprint(
        _backend.key_from_jwk(a.jwk())
    )
    assert _backend.key_fingerprint(a.public) != _backend.key_fingerprint(b.public)
