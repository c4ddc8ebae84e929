"""Everything that needs the ``jwt`` extra (PyJWT and cryptography), in one module.

The rest of :mod:`remote_identity.assertions` imports this module only once an
``AssertionVerifier`` is built, so ``import remote_identity`` (and importing the
assertions package itself) works without the extra installed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm
from jwt.exceptions import InvalidJTIError, InvalidSubjectError

__all__ = [
    "MIN_RSA_BITS",
    "Error",
    "KeyFormatError",
    "PublicKeyObject",
    "SignatureError",
    "decode",
    "expected_for",
    "key_algorithms",
    "key_fingerprint",
    "key_from_jwk",
    "key_from_pem",
    "reason_for",
]

PublicKeyObject = (
    rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey | ed448.Ed448PublicKey
)

#: Every exception PyJWT raises, and the one a wrong signature raises.
Error = jwt.PyJWTError
SignatureError = jwt.InvalidSignatureError

#: RSA keys shorter than this are not used (NIST SP 800-131A; PyJWT warns below it too).
MIN_RSA_BITS = 2048

_RSA_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"})
# Each ECDSA algorithm is bound to one curve (RFC 7518, section 3.4).
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
_JWK_LOADERS: dict[str, type[RSAAlgorithm] | type[ECAlgorithm] | type[OKPAlgorithm]] = {
    "RSA": RSAAlgorithm,
    "EC": ECAlgorithm,
    "OKP": OKPAlgorithm,
}
# JWK members that only a private (or symmetric) key has (RFC 7518, section 6).
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

# A missing aud or iss is a token for someone else; any other missing claim, bad claims.
_MISSING = {"aud": "assertion_audience", "iss": "assertion_issuer"}
# Every PyJWT exception, most specific first, mapped to exactly one reason code; any
# other PyJWTError (the base class, the key-set and client errors) is "assertion_malformed".
_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.InvalidSignatureError, "assertion_signature"),
    (jwt.ExpiredSignatureError, "assertion_expired"),
    (jwt.ImmatureSignatureError, "assertion_not_yet_valid"),
    (jwt.InvalidAudienceError, "assertion_audience"),
    (jwt.InvalidIssuerError, "assertion_issuer"),
    (jwt.InvalidAlgorithmError, "assertion_algorithm"),
    (jwt.InvalidIssuedAtError, "assertion_claims"),
    (InvalidSubjectError, "assertion_claims"),
    (InvalidJTIError, "assertion_claims"),
    (jwt.InvalidKeyError, "assertion_keys_unavailable"),
    (jwt.DecodeError, "assertion_malformed"),
    (jwt.InvalidTokenError, "assertion_malformed"),
)


class KeyFormatError(ValueError):
    """A published key that cannot be used; the message says why (never key material)."""


def key_from_jwk(jwk: Mapping[str, Any]) -> PublicKeyObject:
    """The public key of one JWK (RFC 7517): RSA, EC or OKP; never a private or ``oct`` key."""
    kty = jwk.get("kty")
    loader = _JWK_LOADERS.get(kty) if isinstance(kty, str) else None
    if loader is None:
        raise KeyFormatError(f"key type {kty!r} is not RSA, EC or OKP")
    if _PRIVATE_MEMBERS.intersection(jwk):
        raise KeyFormatError("it contains private key material; only public keys are used")
    try:
        key = loader.from_jwk(dict(jwk))
    except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
        raise KeyFormatError(f"not a valid {kty} key ({type(error).__name__})") from None
    return _public(key)


def key_from_pem(data: bytes) -> PublicKeyObject:
    """The public key in a PEM ``PUBLIC KEY`` block or X.509 ``CERTIFICATE``."""
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            key: object = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyFormatError(
            f"not a PEM public key or certificate ({type(error).__name__})"
        ) from None
    return _public(key)


def _public(key: object) -> PublicKeyObject:
    if isinstance(
        key,
        (
            rsa.RSAPublicKey,
            ec.EllipticCurvePublicKey,
            ed25519.Ed25519PublicKey,
            ed448.Ed448PublicKey,
        ),
    ):
        return key
    raise KeyFormatError(f"{type(key).__name__} is not a supported public key")


def key_algorithms(key: PublicKeyObject) -> frozenset[str]:
    """The JWS algorithms this key can verify: bound by its type and curve, not by a token."""
    if isinstance(key, rsa.RSAPublicKey):
        return _RSA_ALGORITHMS if key.key_size >= MIN_RSA_BITS else frozenset()
    if isinstance(key, ec.EllipticCurvePublicKey):
        algorithm = _EC_ALGORITHMS.get(key.curve.name)
        return frozenset({algorithm}) if algorithm else frozenset()
    return frozenset({"EdDSA"})


def key_fingerprint(key: PublicKeyObject) -> str:
    """A hex SHA-256 digest of the key's SubjectPublicKeyInfo: equal keys, equal prints."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def decode(
    token: str,
    key: PublicKeyObject,
    algorithm: str,
    *,
    audience: Sequence[str] | None,
    issuer: str | None,
    leeway: float,
    require: Sequence[str],
) -> dict[str, Any]:
    """The verified claims of ``token``: signature by ``key`` with ``algorithm`` only.

    Raises ``jwt.PyJWTError`` (see :func:`reason_for`), or ``TypeError``,
    ``ValueError``, ``OverflowError`` or ``RecursionError`` for claims of a signed token
    that PyJWT cannot process.
    """
    claims: dict[str, Any] = jwt.decode(
        token,
        key,
        algorithms=[algorithm],
        audience=audience,
        issuer=issuer,
        leeway=leeway,
        options={
            "require": list(require),
            "verify_aud": audience is not None,
            "verify_iss": issuer is not None,
        },
    )
    return claims


def reason_for(error: jwt.PyJWTError) -> str:
    """The one reason code of a PyJWT exception."""
    if isinstance(error, jwt.MissingRequiredClaimError):
        return _MISSING.get(error.claim, "assertion_claims")
    for cls, reason in _REASONS:
        if isinstance(error, cls):
            return reason
    return "assertion_malformed"


def expected_for(error: jwt.PyJWTError) -> str | None:
    """What a valid token has, for errors whose class alone does not say it."""
    if isinstance(error, jwt.MissingRequiredClaimError) and error.claim not in _MISSING:
        return f"a {error.claim!r} claim"
    return None
