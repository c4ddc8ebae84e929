"""Key pairs and tokens minted in the tests, as each proxy would sign them."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm, get_default_algorithms


@dataclass(frozen=True)
class KeyPair:
    """A signing key, its key id and the JWS algorithm it signs with."""

    kid: str
    alg: str
    private: Any

    @property
    def public(self) -> Any:
        return self.private.public_key()

    def jwk(self, **extra: Any) -> dict[str, Any]:
        """The public JWK, with ``kid`` (and ``alg``, ``use`` when given in ``extra``)."""
        loader = {"RS": RSAAlgorithm, "PS": RSAAlgorithm, "ES": ECAlgorithm}.get(
            self.alg[:2], OKPAlgorithm
        )
        document: dict[str, Any] = loader.to_jwk(self.public, as_dict=True)
        return {**document, "kid": self.kid, **extra}

    def pem(self) -> str:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode("ascii")

    def sign(
        self, claims: dict[str, Any], headers: dict[str, Any] | None = None, *, kid: bool = True
    ) -> str:
        """A compact JWT of ``claims`` (any JSON, even invalid claim types); ``headers``
        are added to (or replace) the JOSE header."""
        fields = {"kid": self.kid} if kid else {}
        header = {"alg": self.alg, "typ": "JWT", **fields, **(headers or {})}
        signing_input = f"{b64(_json(header))}.{b64(_json(claims))}"
        algorithm = get_default_algorithms()[self.alg]
        signature = algorithm.sign(signing_input.encode(), self.private)
        return f"{signing_input}.{b64(signature)}"


@functools.cache
def _rsa(bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def rsa_key(
    kid: str = "rsa-1", *, alg: str = "RS256", bits: int = 2048, fresh: bool = False
) -> KeyPair:
    """An RSA key; the same 2048-bit key for every call unless ``fresh`` (RSA is slow to make)."""
    private = (
        rsa.generate_private_key(public_exponent=65537, key_size=bits) if fresh else _rsa(bits)
    )
    return KeyPair(kid, alg, private)


def ec_key(kid: str = "ec-1", *, alg: str = "ES256") -> KeyPair:
    curve = {"ES256": ec.SECP256R1(), "ES384": ec.SECP384R1(), "ES512": ec.SECP521R1()}[alg]
    return KeyPair(kid, alg, ec.generate_private_key(curve))


def ed_key(kid: str = "ed-1") -> KeyPair:
    return KeyPair(kid, "EdDSA", ed25519.Ed25519PrivateKey.generate())


def jwks(*keys: KeyPair) -> dict[str, Any]:
    return {"keys": [key.jwk() for key in keys]}


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims for issuer "https://issuer.example" and audience "app", for a day
    (tables of tokens are made at import, minutes before some tests run)."""
    now = int(time.time())
    base = {
        "iss": "https://issuer.example",
        "aud": "app",
        "iat": now,
        "exp": now + 86400,
        "sub": "alice",
        "email": "alice@example.com",
        "name": "Alice Liddell",
        "groups": ["admins", "staff"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def b64(data: bytes, *, padded: bool = False) -> str:
    text = base64.urlsafe_b64encode(data).decode("ascii")
    return text if padded else text.rstrip("=")


def _json(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token with any header and payload, and the given (not computed) signature."""
    return f"{b64(_json(header))}.{b64(_json(payload))}.{b64(signature)}"


def hmac_token(secret: bytes, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """An HS256 token signed with ``secret`` (for the algorithm-confusion attack: the
    secret is the victim's *public* key)."""
    signing_input = f"{b64(_json(header))}.{b64(_json(payload))}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def alb_token(key: KeyPair, header: dict[str, Any], payload: dict[str, Any]) -> str:
    """An ES256 token as AWS ALB makes it: every segment base64url *with* ``=`` padding,
    and the signature computed over the padded text."""
    signing_input = f"{b64(_json(header), padded=True)}.{b64(_json(payload), padded=True)}"
    der = key.private.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input}.{b64(signature, padded=True)}"
