"""Tokens for the signed-assertion attacks: forged ones, and genuine ones an attacker may
have obtained (expired, or made for another application) from the front's real key.

The front (``--sign-assertions --signing-key``) signs as Pomerium does: ES256, ``iss`` and
``aud`` the route's host, ``kid`` the key's thumbprint. ``Tokens`` reads the kid from the
front's published keys and signs with the same key file, so its genuine tokens are
exactly the front's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .client import request

#: Where the sign-in front publishes its key (Pomerium's path).
JWKS_PATH = "/.well-known/pomerium/jwks.json"
#: The host the recipes' users reach the application at: the tokens' ``iss`` and ``aud``.
HOST = "127.0.0.1"
HEADER = "X-Pomerium-Jwt-Assertion"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _segment(value: object) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


class Tokens:
    """Tokens signed with the front's key (``key_file``) or forged without it."""

    def __init__(self, key_file: Path, front_port: int) -> None:
        self.key = serialization.load_pem_private_key(key_file.read_bytes(), password=None)
        reply = request(front_port, JWKS_PATH)
        assert reply.status == 200, reply
        (published,) = reply.json()["keys"]
        self.kid: str = published["kid"]
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    @staticmethod
    def claims(
        user: str = "bob", groups: tuple[str, ...] = ("editors",), **extra: Any
    ) -> dict[str, Any]:
        now = int(time.time())
        return {
            "iss": HOST,
            "aud": HOST,
            "iat": now,
            "exp": now + 60,
            "sub": user,
            "user": user,
            "email": f"{user}@example.com",
            "name": user.title(),
            "groups": list(groups),
            **extra,
        }

    def genuine(self, **claims: Any) -> str:
        """Signed with the front's own key."""
        return jwt.encode(
            self.claims(**claims), self.key, algorithm="ES256", headers={"kid": self.kid}
        )

    def wrong_key(self, **claims: Any) -> str:
        """Signed with another key under the front's key id."""
        other = ec.generate_private_key(ec.SECP256R1())
        return jwt.encode(
            self.claims(**claims), other, algorithm="ES256", headers={"kid": self.kid}
        )

    def unknown_kid(self, **claims: Any) -> str:
        other = ec.generate_private_key(ec.SECP256R1())
        return jwt.encode(
            self.claims(**claims), other, algorithm="ES256", headers={"kid": "k" * 43}
        )

    def alg_none(self, **claims: Any) -> str:
        """An unsigned token: ``alg: none``, empty signature."""
        header = {"alg": "none", "typ": "JWT", "kid": self.kid}
        return f"{_segment(header)}.{_segment(self.claims(**claims))}."

    def hs256_public_key(self, **claims: Any) -> str:
        """HS256 with the front's *public* key as the secret (algorithm confusion)."""
        header = {"alg": "HS256", "typ": "JWT", "kid": self.kid}
        signing_input = f"{_segment(header)}.{_segment(self.claims(**claims))}"
        mac = hmac.new(self.public_pem, signing_input.encode(), hashlib.sha256).digest()
        return f"{signing_input}.{b64(mac)}"
